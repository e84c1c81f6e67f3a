// JoinGroup (key 11): a member joins (or rejoins) a group and offers the
// protocols (assignors) it supports; the coordinator answers once the group has
// settled, naming the chosen protocol, the leader and the generation, and only
// the leader gets the members with their subscription metadata. Versions 0..5,
// none flexible (v6+ is). v1 adds rebalance_timeout_ms, v2 the response's
// throttle_time_ms, v4 the MEMBER_ID_REQUIRED (79) second join (KIP-394), v5
// group_instance_id (static membership, KIP-345). librdkafka 2.0.2 uses v5.
// Protocol metadata stays opaque bytes (ConsumerProtocolSubscription for
// protocol_type "consumer"), borrowed from the frame.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

struct JoinGroupRequest {
  struct Protocol {
    std::string name;
    BytesRef metadata{ConstBytes()};  // never null on the wire

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Bytes("metadata", metadata);
    }
    bool operator==(const Protocol&) const = default;
  };

  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // absent (v0): session_timeout_ms applies
  std::string member_id;              // empty on a first join
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference

  template <typename V>
  void Fields(V& v) {
    v.String("group_id", group_id);
    v.Int32("session_timeout_ms", session_timeout_ms);
    v.Int32("rebalance_timeout_ms", rebalance_timeout_ms, Since(1));
    v.String("member_id", member_id);
    v.NullableString("group_instance_id", group_instance_id, Since(5));
    v.String("protocol_type", protocol_type);
    v.Array("protocols", protocols);
  }
  bool operator==(const JoinGroupRequest&) const = default;
};

struct JoinGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    BytesRef metadata{ConstBytes()};  // never null on the wire

    template <typename V>
    void Fields(V& v) {
      v.String("member_id", member_id);
      v.NullableString("group_instance_id", group_instance_id, Since(5));
      v.Bytes("metadata", metadata);
    }
    bool operator==(const Member&) const = default;
  };

  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<Member> members;  // empty except for the leader

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(2));
    v.Int16("error_code", error_code);
    v.Int32("generation_id", generation_id);
    v.String("protocol_name", protocol_name);
    v.String("leader", leader);
    v.String("member_id", member_id);
    v.Array("members", members);
  }
  bool operator==(const JoinGroupResponse&) const = default;
};

struct JoinGroupApi {
  static constexpr ApiKey kKey = ApiKey::kJoinGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;
  static constexpr int16_t kFirstFlexible = 6;
  using Request = JoinGroupRequest;
  using Response = JoinGroupResponse;
};
static_assert(JoinGroupApi::kFirstFlexible == FirstFlexibleVersion(JoinGroupApi::kKey));

}  // namespace millstream::net::kafka
