// Fetch (key 1): read records from partitions, long-polling until min_bytes or
// max_wait_ms. Versions 4..11 (RecordBatch v2 only), none flexible. Incremental
// fetch sessions (v7+ session_id != 0) are described here but handled, or
// refused, by the handler. `records` in the response borrows the caller's bytes
// until the response is encoded (MINIMUM.md section 7).
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

struct FetchRequest {
  struct Partition {
    PartitionId partition;
    int32_t current_leader_epoch = -1;
    Offset fetch_offset;
    Offset log_start_offset{-1};
    int32_t partition_max_bytes = 0;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition", partition);
      v.Int32("current_leader_epoch", current_leader_epoch, Since(9));
      v.Int64("fetch_offset", fetch_offset);
      v.Int64("log_start_offset", log_start_offset, Since(5));
      v.Int32("partition_max_bytes", partition_max_bytes);
    }
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;

    template <typename V>
    void Fields(V& v) {
      v.String("topic", topic, Until(12));
      v.Array("partitions", partitions);
    }
    bool operator==(const Topic&) const = default;
  };
  struct ForgottenTopic {
    std::string topic;
    std::vector<PartitionId> partitions;

    template <typename V>
    void Fields(V& v) {
      v.String("topic", topic, Until(12));
      v.Array("partitions", partitions);
    }
    bool operator==(const ForgottenTopic&) const = default;
  };

  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = INT32_MAX;
  int8_t isolation_level = 0;  // 0 read_uncommitted, 1 read_committed
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  std::vector<Topic> topics;
  std::vector<ForgottenTopic> forgotten_topics_data;
  std::string rack_id;

  template <typename V>
  void Fields(V& v) {
    v.Int32("replica_id", replica_id, Until(14));
    v.Int32("max_wait_ms", max_wait_ms);
    v.Int32("min_bytes", min_bytes);
    v.Int32("max_bytes", max_bytes, Since(3));
    v.Int8("isolation_level", isolation_level, Since(4));
    v.Int32("session_id", session_id, Since(7));
    v.Int32("session_epoch", session_epoch, Since(7));
    v.Array("topics", topics);
    v.Array("forgotten_topics_data", forgotten_topics_data, Since(7));
    v.String("rack_id", rack_id, Since(11));
  }
  bool operator==(const FetchRequest&) const = default;
};

struct FetchResponse {
  struct AbortedTransaction {
    int64_t producer_id = 0;
    Offset first_offset;

    template <typename V>
    void Fields(V& v) {
      v.Int64("producer_id", producer_id);
      v.Int64("first_offset", first_offset);
    }
    bool operator==(const AbortedTransaction&) const = default;
  };
  struct Partition {
    PartitionId partition_index;
    int16_t error_code = 0;
    Offset high_watermark;
    Offset last_stable_offset{-1};
    Offset log_start_offset{-1};
    std::optional<std::vector<AbortedTransaction>> aborted_transactions;
    int32_t preferred_read_replica = -1;
    BytesRef records;  // nullable; borrowed until the response is encoded

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Int16("error_code", error_code);
      v.Int64("high_watermark", high_watermark);
      v.Int64("last_stable_offset", last_stable_offset, Since(4));
      v.Int64("log_start_offset", log_start_offset, Since(5));
      v.NullableArray("aborted_transactions", aborted_transactions, Since(4));
      v.Int32("preferred_read_replica", preferred_read_replica, Since(11));
      v.NullableBytes("records", records);
    }
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;

    template <typename V>
    void Fields(V& v) {
      v.String("topic", topic, Until(12));
      v.Array("partitions", partitions);
    }
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t session_id = 0;
  std::vector<Topic> responses;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Int16("error_code", error_code, Since(7));
    v.Int32("session_id", session_id, Since(7));
    v.Array("responses", responses);
  }
  bool operator==(const FetchResponse&) const = default;
};

struct FetchApi {
  static constexpr ApiKey kKey = ApiKey::kFetch;
  static constexpr int16_t kMinVersion = 4;
  static constexpr int16_t kMaxVersion = 11;
  static constexpr int16_t kFirstFlexible = 12;
  using Request = FetchRequest;
  using Response = FetchResponse;
};
static_assert(FetchApi::kFirstFlexible == FirstFlexibleVersion(FetchApi::kKey));

}  // namespace millstream::net::kafka
