// Heartbeat (key 12): a group member says it is alive; the error code tells it to
// rejoin (REBALANCE_IN_PROGRESS 27, ILLEGAL_GENERATION 22, UNKNOWN_MEMBER_ID 25).
// Versions 0..3, none flexible (v4+ is). v1 adds the response's
// throttle_time_ms, v3 group_instance_id. librdkafka 2.0.2 uses v3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct HeartbeatRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;

  template <typename V>
  void Fields(V& v) {
    v.String("group_id", group_id);
    v.Int32("generation_id", generation_id);
    v.String("member_id", member_id);
    v.NullableString("group_instance_id", group_instance_id, Since(3));
  }
  bool operator==(const HeartbeatRequest&) const = default;
};

struct HeartbeatResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Int16("error_code", error_code);
  }
  bool operator==(const HeartbeatResponse&) const = default;
};

struct HeartbeatApi {
  static constexpr ApiKey kKey = ApiKey::kHeartbeat;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static constexpr int16_t kFirstFlexible = 4;
  using Request = HeartbeatRequest;
  using Response = HeartbeatResponse;
};
static_assert(HeartbeatApi::kFirstFlexible == FirstFlexibleVersion(HeartbeatApi::kKey));

}  // namespace millstream::net::kafka
