// DescribeGroups (key 15): state, protocol and members of groups. Versions 0..4,
// none flexible (v5+ is). v1 adds the response's throttle_time_ms; v3
// include_authorized_operations and a per-group authorized_operations bitfield;
// v4 each member's group_instance_id. librdkafka 2.0.2 uses v4 (admin API and
// rd_kafka_list_groups). Member metadata and assignment are opaque bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/metadata.h"
#include "net/kafka/protocol/schema.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

struct DescribeGroupsRequest {
  std::vector<std::string> groups;
  bool include_authorized_operations = false;

  template <typename V>
  void Fields(V& v) {
    v.Array("groups", groups);
    v.Bool("include_authorized_operations", include_authorized_operations, Since(3));
  }
  bool operator==(const DescribeGroupsRequest&) const = default;
};

struct DescribeGroupsResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    BytesRef member_metadata{ConstBytes()};    // never null on the wire
    BytesRef member_assignment{ConstBytes()};  // never null on the wire

    template <typename V>
    void Fields(V& v) {
      v.String("member_id", member_id);
      v.NullableString("group_instance_id", group_instance_id, Since(4));
      v.String("client_id", client_id);
      v.String("client_host", client_host);
      v.Bytes("member_metadata", member_metadata);
      v.Bytes("member_assignment", member_assignment);
    }
    bool operator==(const Member&) const = default;
  };
  struct Group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;    // "Stable", "Empty", ...; or ""
    std::string protocol_type;  // or ""
    std::string protocol_data;  // the chosen protocol (assignor) name, or ""
    std::vector<Member> members;
    int32_t authorized_operations = kAuthorizedOperationsOmitted;

    template <typename V>
    void Fields(V& v) {
      v.Int16("error_code", error_code);
      v.String("group_id", group_id);
      v.String("group_state", group_state);
      v.String("protocol_type", protocol_type);
      v.String("protocol_data", protocol_data);
      v.Array("members", members);
      v.Int32("authorized_operations", authorized_operations, Since(3));
    }
    bool operator==(const Group&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Group> groups;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Array("groups", groups);
  }
  bool operator==(const DescribeGroupsResponse&) const = default;
};

struct DescribeGroupsApi {
  static constexpr ApiKey kKey = ApiKey::kDescribeGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static constexpr int16_t kFirstFlexible = 5;
  using Request = DescribeGroupsRequest;
  using Response = DescribeGroupsResponse;
};
static_assert(DescribeGroupsApi::kFirstFlexible == FirstFlexibleVersion(DescribeGroupsApi::kKey));

}  // namespace millstream::net::kafka
