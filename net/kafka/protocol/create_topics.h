// CreateTopics (key 19): admin creation of topics with partition counts,
// replication factor, explicit assignments and configs. Versions 0..4, none
// flexible (v5+ adds per-topic config echo and is flexible).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/strong_id.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct CreateTopicsRequest {
  struct Assignment {
    PartitionId partition_index;
    std::vector<int32_t> broker_ids;

    template <typename V>
    void Fields(V& v) {
      v.Int32("partition_index", partition_index);
      v.Array("broker_ids", broker_ids);
    }
    bool operator==(const Assignment&) const = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.NullableString("value", value);
    }
    bool operator==(const Config&) const = default;
  };
  struct Topic {
    std::string name;
    int32_t num_partitions = 0;  // -1: broker default (with assignments empty)
    int16_t replication_factor = 0;
    std::vector<Assignment> assignments;
    std::vector<Config> configs;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Int32("num_partitions", num_partitions);
      v.Int16("replication_factor", replication_factor);
      v.Array("assignments", assignments);
      v.Array("configs", configs);
    }
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;

  template <typename V>
  void Fields(V& v) {
    v.Array("topics", topics);
    v.Int32("timeout_ms", timeout_ms);
    v.Bool("validate_only", validate_only, Since(1));
  }
  bool operator==(const CreateTopicsRequest&) const = default;
};

struct CreateTopicsResponse {
  struct Topic {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Int16("error_code", error_code);
      v.NullableString("error_message", error_message, Since(1));
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
  bool operator==(const CreateTopicsResponse&) const = default;
};

struct CreateTopicsApi {
  static constexpr ApiKey kKey = ApiKey::kCreateTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static constexpr int16_t kFirstFlexible = 5;
  using Request = CreateTopicsRequest;
  using Response = CreateTopicsResponse;
};
static_assert(CreateTopicsApi::kFirstFlexible == FirstFlexibleVersion(CreateTopicsApi::kKey));

}  // namespace millstream::net::kafka
