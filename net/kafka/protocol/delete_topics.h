// DeleteTopics (key 20): admin deletion of topics by name. Versions 0..3, none
// flexible (v4+ is flexible, v6+ names topics by id).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct DeleteTopicsRequest {
  std::vector<std::string> topic_names;
  int32_t timeout_ms = 0;

  template <typename V>
  void Fields(V& v) {
    v.Array("topic_names", topic_names, Until(5));
    v.Int32("timeout_ms", timeout_ms);
  }
  bool operator==(const DeleteTopicsRequest&) const = default;
};

struct DeleteTopicsResponse {
  struct TopicResult {
    std::string name;
    int16_t error_code = 0;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Int16("error_code", error_code);
    }
    bool operator==(const TopicResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<TopicResult> responses;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Array("responses", responses);
  }
  bool operator==(const DeleteTopicsResponse&) const = default;
};

struct DeleteTopicsApi {
  static constexpr ApiKey kKey = ApiKey::kDeleteTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static constexpr int16_t kFirstFlexible = 4;
  using Request = DeleteTopicsRequest;
  using Response = DeleteTopicsResponse;
};
static_assert(DeleteTopicsApi::kFirstFlexible == FirstFlexibleVersion(DeleteTopicsApi::kKey));

}  // namespace millstream::net::kafka
