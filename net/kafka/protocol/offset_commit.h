// OffsetCommit (key 8): a group member (or a manual-assign consumer with
// generation -1 and an empty member id) stores committed offsets for partitions.
// Versions 0..7, none flexible (v8+ is). v1 adds generation_id, member_id and a
// per-partition commit_timestamp (v1 only); v2-4 carry retention_time_ms instead;
// v3 adds the response's throttle_time_ms; v6 committed_leader_epoch; v7
// group_instance_id. librdkafka 2.0.2 uses v7.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/strong_id.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct OffsetCommitRequest {
  struct Partition {
    PartitionId partition_index;
    Offset committed_offset;
    int32_t committed_leader_epoch = -1;
    TimestampMs commit_timestamp{-1};  // v1 only
    std::optional<std::string> committed_metadata;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Int64("committed_offset", committed_offset);
      v.Int32("committed_leader_epoch", committed_leader_epoch, Since(6));
      v.Int64("commit_timestamp", commit_timestamp, Only(1));
      v.NullableString("committed_metadata", committed_metadata);
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

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int64_t retention_time_ms = -1;  // v2-4; -1: the broker's retention
  std::vector<Topic> topics;

  template <typename V>
  void Fields(V& v) {
    v.String("group_id", group_id);
    v.Int32("generation_id", generation_id, Since(1));
    v.String("member_id", member_id, Since(1));
    v.NullableString("group_instance_id", group_instance_id, Since(7));
    v.Int64("retention_time_ms", retention_time_ms, Between(2, 4));
    v.Array("topics", topics);
  }
  bool operator==(const OffsetCommitRequest&) const = default;
};

struct OffsetCommitResponse {
  struct Partition {
    PartitionId partition_index;
    int16_t error_code = 0;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
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

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(3));
    v.Array("topics", topics);
  }
  bool operator==(const OffsetCommitResponse&) const = default;
};

struct OffsetCommitApi {
  static constexpr ApiKey kKey = ApiKey::kOffsetCommit;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 7;
  static constexpr int16_t kFirstFlexible = 8;
  using Request = OffsetCommitRequest;
  using Response = OffsetCommitResponse;
};
static_assert(OffsetCommitApi::kFirstFlexible == FirstFlexibleVersion(OffsetCommitApi::kKey));

}  // namespace millstream::net::kafka
