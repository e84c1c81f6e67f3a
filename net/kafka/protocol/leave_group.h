// LeaveGroup (key 13): members leave a group (a consumer at close), which
// rebalances the rest. Versions 0..3, none flexible (v4+ is; v5 adds a reason).
// v0-2 name one member_id; v3+ leave in batches, members[] of member_id and
// group_instance_id, with a per-member error in the response (KIP-345). v1 adds
// the response's throttle_time_ms. librdkafka 2.0.2 uses v0..1 (one member_id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct LeaveGroupRequest {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;

    template <typename V>
    void Fields(V& v) {
      v.String("member_id", member_id);
      v.NullableString("group_instance_id", group_instance_id);
    }
    bool operator==(const Member&) const = default;
  };

  std::string group_id;
  std::string member_id;        // v0-2
  std::vector<Member> members;  // v3+

  template <typename V>
  void Fields(V& v) {
    v.String("group_id", group_id);
    v.String("member_id", member_id, Until(2));
    v.Array("members", members, Since(3));
  }
  bool operator==(const LeaveGroupRequest&) const = default;
};

struct LeaveGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    int16_t error_code = 0;

    template <typename V>
    void Fields(V& v) {
      v.String("member_id", member_id);
      v.NullableString("group_instance_id", group_instance_id);
      v.Int16("error_code", error_code);
    }
    bool operator==(const Member&) const = default;
  };

  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Member> members;  // v3+

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Int16("error_code", error_code);
    v.Array("members", members, Since(3));
  }
  bool operator==(const LeaveGroupResponse&) const = default;
};

struct LeaveGroupApi {
  static constexpr ApiKey kKey = ApiKey::kLeaveGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static constexpr int16_t kFirstFlexible = 4;
  using Request = LeaveGroupRequest;
  using Response = LeaveGroupResponse;
};
static_assert(LeaveGroupApi::kFirstFlexible == FirstFlexibleVersion(LeaveGroupApi::kKey));

}  // namespace millstream::net::kafka
