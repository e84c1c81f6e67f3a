// FindCoordinator (key 10): which broker coordinates a consumer group (key_type 0)
// or a transactional id (key_type 1). Versions 0..2, none flexible (v3+ is
// flexible, v4+ batches several keys as coordinator_keys, KIP-699). v1 adds
// key_type and, in the response, throttle_time_ms and error_message; v2 is v1.
// librdkafka 2.0.2 uses v2 when advertised, and needs the range to contain v0
// (MINIMUM.md section 2) or it never looks for a group coordinator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

// FindCoordinator key types.
inline constexpr int8_t kCoordinatorKeyTypeGroup = 0;
inline constexpr int8_t kCoordinatorKeyTypeTransaction = 1;

struct FindCoordinatorRequest {
  std::string key;  // the group id (or transactional id)
  int8_t key_type = kCoordinatorKeyTypeGroup;

  template <typename V>
  void Fields(V& v) {
    v.String("key", key);
    v.Int8("key_type", key_type, Since(1));
  }
  bool operator==(const FindCoordinatorRequest&) const = default;
};

struct FindCoordinatorResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Int16("error_code", error_code);
    v.NullableString("error_message", error_message, Since(1));
    v.Int32("node_id", node_id);
    v.String("host", host);
    v.Int32("port", port);
  }
  bool operator==(const FindCoordinatorResponse&) const = default;
};

struct FindCoordinatorApi {
  static constexpr ApiKey kKey = ApiKey::kFindCoordinator;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static constexpr int16_t kFirstFlexible = 3;
  using Request = FindCoordinatorRequest;
  using Response = FindCoordinatorResponse;
};
static_assert(FindCoordinatorApi::kFirstFlexible == FirstFlexibleVersion(FindCoordinatorApi::kKey));

}  // namespace millstream::net::kafka
