// SyncGroup (key 14): after a join, the leader sends the assignment it computed
// for every member (followers send none) and each member gets its own back.
// Versions 0..3, none flexible (v4+ is; v5 adds protocol_type and protocol_name).
// v1 adds the response's throttle_time_ms, v3 group_instance_id. librdkafka
// 2.0.2 uses v3. Assignments stay opaque bytes (ConsumerProtocolAssignment for
// protocol_type "consumer"), borrowed from the frame; an empty one is legal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

struct SyncGroupRequest {
  struct Assignment {
    std::string member_id;
    BytesRef assignment{ConstBytes()};  // never null on the wire

    template <typename V>
    void Fields(V& v) {
      v.String("member_id", member_id);
      v.Bytes("assignment", assignment);
    }
    bool operator==(const Assignment&) const = default;
  };

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<Assignment> assignments;  // the leader's only

  template <typename V>
  void Fields(V& v) {
    v.String("group_id", group_id);
    v.Int32("generation_id", generation_id);
    v.String("member_id", member_id);
    v.NullableString("group_instance_id", group_instance_id, Since(3));
    v.Array("assignments", assignments);
  }
  bool operator==(const SyncGroupRequest&) const = default;
};

struct SyncGroupResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  BytesRef assignment{ConstBytes()};  // never null on the wire

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Int16("error_code", error_code);
    v.Bytes("assignment", assignment);
  }
  bool operator==(const SyncGroupResponse&) const = default;
};

struct SyncGroupApi {
  static constexpr ApiKey kKey = ApiKey::kSyncGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static constexpr int16_t kFirstFlexible = 4;
  using Request = SyncGroupRequest;
  using Response = SyncGroupResponse;
};
static_assert(SyncGroupApi::kFirstFlexible == FirstFlexibleVersion(SyncGroupApi::kKey));

}  // namespace millstream::net::kafka
