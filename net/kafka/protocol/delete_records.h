// DeleteRecords (key 21): move the log start offset of partitions forward
// (offset -1 means "to the high watermark"). Versions 0..1, none flexible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/strong_id.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct DeleteRecordsRequest {
  struct Partition {
    PartitionId partition_index;
    Offset offset;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Int64("offset", offset);
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

  std::vector<Topic> topics;
  int32_t timeout_ms = 0;

  template <typename V>
  void Fields(V& v) {
    v.Array("topics", topics);
    v.Int32("timeout_ms", timeout_ms);
  }
  bool operator==(const DeleteRecordsRequest&) const = default;
};

struct DeleteRecordsResponse {
  struct Partition {
    PartitionId partition_index;
    Offset low_watermark;
    int16_t error_code = 0;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Int64("low_watermark", low_watermark);
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
    v.Int32("throttle_time_ms", throttle_time_ms);
    v.Array("topics", topics);
  }
  bool operator==(const DeleteRecordsResponse&) const = default;
};

struct DeleteRecordsApi {
  static constexpr ApiKey kKey = ApiKey::kDeleteRecords;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  static constexpr int16_t kFirstFlexible = 2;
  using Request = DeleteRecordsRequest;
  using Response = DeleteRecordsResponse;
};
static_assert(DeleteRecordsApi::kFirstFlexible == FirstFlexibleVersion(DeleteRecordsApi::kKey));

}  // namespace millstream::net::kafka
