// ListGroups (key 16): the groups this broker coordinates. Versions 0..2, none
// flexible (v3+ is; v4 adds a states filter, v5 a types filter). The request has
// an empty body in 0..2; v1 adds the response's throttle_time_ms. librdkafka
// 2.0.2 can send 0..4 (admin and rd_kafka_list_groups only) and so uses v2 here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct ListGroupsRequest {
  template <typename V>
  void Fields(V&) {}
  bool operator==(const ListGroupsRequest&) const = default;
};

struct ListGroupsResponse {
  struct Group {
    std::string group_id;
    std::string protocol_type;

    template <typename V>
    void Fields(V& v) {
      v.String("group_id", group_id);
      v.String("protocol_type", protocol_type);
    }
    bool operator==(const Group&) const = default;
  };

  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Group> groups;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Int16("error_code", error_code);
    v.Array("groups", groups);
  }
  bool operator==(const ListGroupsResponse&) const = default;
};

struct ListGroupsApi {
  static constexpr ApiKey kKey = ApiKey::kListGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static constexpr int16_t kFirstFlexible = 3;
  using Request = ListGroupsRequest;
  using Response = ListGroupsResponse;
};
static_assert(ListGroupsApi::kFirstFlexible == FirstFlexibleVersion(ListGroupsApi::kKey));

}  // namespace millstream::net::kafka
