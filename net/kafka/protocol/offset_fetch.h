// OffsetFetch (key 9): the committed offsets of a group for partitions. Versions
// 0..7; v6+ is flexible. A null topics array (v2+) asks for every topic the group
// has offsets for; v2 also adds the response's top-level error_code, v3 its
// throttle_time_ms, v5 committed_leader_epoch, v7 require_stable (answered with
// UNSTABLE_OFFSET_COMMIT 88 while a transaction is open). v8+ (several groups per
// request) is not described. librdkafka 2.0.2 uses v7, so it is flexible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/strong_id.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct OffsetFetchRequest {
  struct Topic {
    std::string name;
    std::vector<PartitionId> partition_indexes;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Array("partition_indexes", partition_indexes);
    }
    bool operator==(const Topic&) const = default;
  };

  std::string group_id;
  std::optional<std::vector<Topic>> topics;  // null (v2+): all topics
  bool require_stable = false;

  template <typename V>
  void Fields(V& v) {
    v.String("group_id", group_id);
    v.NullableArray("topics", topics, kAll, /*nullable=*/Since(2));
    v.Bool("require_stable", require_stable, Since(7));
  }
  bool operator==(const OffsetFetchRequest&) const = default;
};

struct OffsetFetchResponse {
  struct Partition {
    PartitionId partition_index;
    Offset committed_offset{-1};  // -1: nothing committed
    int32_t committed_leader_epoch = -1;
    std::optional<std::string> metadata;
    int16_t error_code = 0;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Int64("committed_offset", committed_offset);
      v.Int32("committed_leader_epoch", committed_leader_epoch, Since(5));
      v.NullableString("metadata", metadata);
      v.Int16("error_code", error_code);
    }
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Array("partitions", partitions);
    }
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  int16_t error_code = 0;  // v2+: group or coordinator errors

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(3));
    v.Array("topics", topics);
    v.Int16("error_code", error_code, Since(2));
  }
  bool operator==(const OffsetFetchResponse&) const = default;
};

struct OffsetFetchApi {
  static constexpr ApiKey kKey = ApiKey::kOffsetFetch;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 7;
  static constexpr int16_t kFirstFlexible = 6;
  using Request = OffsetFetchRequest;
  using Response = OffsetFetchResponse;
};
static_assert(OffsetFetchApi::kFirstFlexible == FirstFlexibleVersion(OffsetFetchApi::kKey));

}  // namespace millstream::net::kafka
