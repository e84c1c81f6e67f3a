// DeleteGroups (key 42): delete empty groups and their committed offsets
// (NON_EMPTY_GROUP 68 while members remain, GROUP_ID_NOT_FOUND 69). Versions
// 0..1, none flexible (v2+ is); v1 is v0 with KIP-219 throttling. librdkafka
// 2.0.2 uses v1 (admin API). Its JSON is not among ../shared/reference's copies;
// the fields are Kafka's DeleteGroupsRequest/Response (groups_names; results of
// group_id and error_code), which have not changed since v0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct DeleteGroupsRequest {
  std::vector<std::string> groups_names;

  template <typename V>
  void Fields(V& v) {
    v.Array("groups_names", groups_names);
  }
  bool operator==(const DeleteGroupsRequest&) const = default;
};

struct DeleteGroupsResponse {
  struct GroupResult {
    std::string group_id;
    int16_t error_code = 0;

    template <typename V>
    void Fields(V& v) {
      v.String("group_id", group_id);
      v.Int16("error_code", error_code);
    }
    bool operator==(const GroupResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<GroupResult> results;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms);
    v.Array("results", results);
  }
  bool operator==(const DeleteGroupsResponse&) const = default;
};

struct DeleteGroupsApi {
  static constexpr ApiKey kKey = ApiKey::kDeleteGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  static constexpr int16_t kFirstFlexible = 2;
  using Request = DeleteGroupsRequest;
  using Response = DeleteGroupsResponse;
};
static_assert(DeleteGroupsApi::kFirstFlexible == FirstFlexibleVersion(DeleteGroupsApi::kKey));

}  // namespace millstream::net::kafka
