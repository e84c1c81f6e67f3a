// ListOffsets (key 2): the offset for a timestamp, or the earliest (-2) / latest
// (-1) offset of partitions. Versions 0..5, none flexible. v0 is the old shape:
// the request carries max_num_offsets and the response an offsets array instead
// of one timestamp and offset (MINIMUM.md section 7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/strong_id.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

// Special ListOffsets timestamps.
inline constexpr TimestampMs kLatestTimestamp{-1};
inline constexpr TimestampMs kEarliestTimestamp{-2};

struct ListOffsetsRequest {
  struct Partition {
    PartitionId partition_index;
    int32_t current_leader_epoch = -1;
    TimestampMs timestamp;
    int32_t max_num_offsets = 1;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Int32("current_leader_epoch", current_leader_epoch, Since(4));
      v.Int64("timestamp", timestamp);
      v.Int32("max_num_offsets", max_num_offsets, Only(0));
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

  int32_t replica_id = -1;
  int8_t isolation_level = 0;
  std::vector<Topic> topics;

  template <typename V>
  void Fields(V& v) {
    v.Int32("replica_id", replica_id);
    v.Int8("isolation_level", isolation_level, Since(2));
    v.Array("topics", topics);
  }
  bool operator==(const ListOffsetsRequest&) const = default;
};

struct ListOffsetsResponse {
  struct Partition {
    PartitionId partition_index;
    int16_t error_code = 0;
    std::vector<Offset> old_style_offsets;  // v0 only
    TimestampMs timestamp{-1};
    Offset offset{-1};
    int32_t leader_epoch = -1;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Int16("error_code", error_code);
      v.Array("old_style_offsets", old_style_offsets, Only(0));
      v.Int64("timestamp", timestamp, Since(1));
      v.Int64("offset", offset, Since(1));
      v.Int32("leader_epoch", leader_epoch, Since(4));
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
    v.Int32("throttle_time_ms", throttle_time_ms, Since(2));
    v.Array("topics", topics);
  }
  bool operator==(const ListOffsetsResponse&) const = default;
};

struct ListOffsetsApi {
  static constexpr ApiKey kKey = ApiKey::kListOffsets;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  static constexpr int16_t kFirstFlexible = 6;
  using Request = ListOffsetsRequest;
  using Response = ListOffsetsResponse;
};
static_assert(ListOffsetsApi::kFirstFlexible == FirstFlexibleVersion(ListOffsetsApi::kKey));

}  // namespace millstream::net::kafka
