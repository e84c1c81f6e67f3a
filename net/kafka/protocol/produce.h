// Produce (key 0): record batches for partitions. Versions 3..8 (RecordBatch v2
// only; no legacy MessageSet), none flexible. `records` stays raw bytes borrowed
// from the request frame: storage/record_batch.h validates and parses them.
// The response puts throttle_time_ms last, unlike most APIs. acks=0 requests get
// no response at all (MINIMUM.md section 5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/strong_id.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

struct ProduceRequest {
  struct Partition {
    PartitionId index;
    BytesRef records;  // nullable; borrowed from the request frame

    template <typename V>
    void Fields(V& v) {
      v.Int32("index", index);
      v.NullableBytes("records", records);
    }
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partition_data;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Array("partition_data", partition_data);
    }
    bool operator==(const Topic&) const = default;
  };

  std::optional<std::string> transactional_id;
  int16_t acks = 0;
  int32_t timeout_ms = 0;
  std::vector<Topic> topic_data;

  template <typename V>
  void Fields(V& v) {
    v.NullableString("transactional_id", transactional_id, Since(3));
    v.Int16("acks", acks);
    v.Int32("timeout_ms", timeout_ms);
    v.Array("topic_data", topic_data);
  }
  bool operator==(const ProduceRequest&) const = default;
};

struct ProduceResponse {
  struct RecordError {
    int32_t batch_index = 0;
    std::optional<std::string> batch_index_error_message;

    template <typename V>
    void Fields(V& v) {
      v.Int32("batch_index", batch_index);
      v.NullableString("batch_index_error_message", batch_index_error_message);
    }
    bool operator==(const RecordError&) const = default;
  };
  struct Partition {
    PartitionId index;
    int16_t error_code = 0;
    Offset base_offset;
    TimestampMs log_append_time_ms{-1};
    Offset log_start_offset{-1};
    std::vector<RecordError> record_errors;
    std::optional<std::string> error_message;

    template <typename V>
    void Fields(V& v) {
      v.Int32("index", index);
      v.Int16("error_code", error_code);
      v.Int64("base_offset", base_offset);
      v.Int64("log_append_time_ms", log_append_time_ms, Since(2));
      v.Int64("log_start_offset", log_start_offset, Since(5));
      v.Array("record_errors", record_errors, Since(8));
      v.NullableString("error_message", error_message, Since(8));
    }
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partition_responses;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Array("partition_responses", partition_responses);
    }
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> responses;
  int32_t throttle_time_ms = 0;

  template <typename V>
  void Fields(V& v) {
    v.Array("responses", responses);
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
  }
  bool operator==(const ProduceResponse&) const = default;
};

struct ProduceApi {
  static constexpr ApiKey kKey = ApiKey::kProduce;
  static constexpr int16_t kMinVersion = 3;
  static constexpr int16_t kMaxVersion = 8;
  static constexpr int16_t kFirstFlexible = 9;
  using Request = ProduceRequest;
  using Response = ProduceResponse;
};
static_assert(ProduceApi::kFirstFlexible == FirstFlexibleVersion(ProduceApi::kKey));

}  // namespace millstream::net::kafka
