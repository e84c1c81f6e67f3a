// Metadata (key 3): brokers, topics and partition leaders. Versions 0..8, none
// flexible. A null topics array (v1+) asks for every topic; at v0 an empty array
// does. allow_auto_topic_creation exists from v4 (true when absent).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/strong_id.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

// Authorized-operations fields hold this when the client did not ask for them.
inline constexpr int32_t kAuthorizedOperationsOmitted = INT32_MIN;

struct MetadataRequest {
  struct Topic {
    std::string name;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
    }
    bool operator==(const Topic&) const = default;
  };

  std::optional<std::vector<Topic>> topics;  // null (v1+): all topics
  bool allow_auto_topic_creation = true;
  bool include_cluster_authorized_operations = false;
  bool include_topic_authorized_operations = false;

  template <typename V>
  void Fields(V& v) {
    v.NullableArray("topics", topics, kAll, /*nullable=*/Since(1));
    v.Bool("allow_auto_topic_creation", allow_auto_topic_creation, Since(4));
    v.Bool("include_cluster_authorized_operations", include_cluster_authorized_operations,
           Between(8, 10));
    v.Bool("include_topic_authorized_operations", include_topic_authorized_operations, Since(8));
  }
  bool operator==(const MetadataRequest&) const = default;
};

struct MetadataResponse {
  struct Broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;

    template <typename V>
    void Fields(V& v) {
      v.Int32("node_id", node_id);
      v.String("host", host);
      v.Int32("port", port);
      v.NullableString("rack", rack, Since(1));
    }
    bool operator==(const Broker&) const = default;
  };
  struct Partition {
    int16_t error_code = 0;
    PartitionId partition_index;
    int32_t leader_id = 0;
    int32_t leader_epoch = -1;
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;

    template <typename V>
    void Fields(V& v) {
      v.Int16("error_code", error_code);
      v.Int32("partition_index", partition_index);
      v.Int32("leader_id", leader_id);
      v.Int32("leader_epoch", leader_epoch, Since(7));
      v.Array("replica_nodes", replica_nodes);
      v.Array("isr_nodes", isr_nodes);
      v.Array("offline_replicas", offline_replicas, Since(5));
    }
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    int16_t error_code = 0;
    std::string name;
    bool is_internal = false;
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = kAuthorizedOperationsOmitted;

    template <typename V>
    void Fields(V& v) {
      v.Int16("error_code", error_code);
      v.String("name", name);
      v.Bool("is_internal", is_internal, Since(1));
      v.Array("partitions", partitions);
      v.Int32("topic_authorized_operations", topic_authorized_operations, Since(8));
    }
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<Topic> topics;
  int32_t cluster_authorized_operations = kAuthorizedOperationsOmitted;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(3));
    v.Array("brokers", brokers);
    v.NullableString("cluster_id", cluster_id, Since(2));
    v.Int32("controller_id", controller_id, Since(1));
    v.Array("topics", topics);
    v.Int32("cluster_authorized_operations", cluster_authorized_operations, Between(8, 10));
  }
  bool operator==(const MetadataResponse&) const = default;
};

struct MetadataApi {
  static constexpr ApiKey kKey = ApiKey::kMetadata;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;
  static constexpr int16_t kFirstFlexible = 9;
  using Request = MetadataRequest;
  using Response = MetadataResponse;
};
static_assert(MetadataApi::kFirstFlexible == FirstFlexibleVersion(MetadataApi::kKey));

}  // namespace millstream::net::kafka
