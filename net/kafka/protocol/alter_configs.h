// AlterConfigs (key 33): replace the whole configuration of topics or brokers
// (the non-incremental API). Versions 0..1, none flexible. Resource types are in
// describe_configs.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct AlterConfigsRequest {
  struct Config {
    std::string name;
    std::optional<std::string> value;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.NullableString("value", value);
    }
    bool operator==(const Config&) const = default;
  };
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;

    template <typename V>
    void Fields(V& v) {
      v.Int8("resource_type", resource_type);
      v.String("resource_name", resource_name);
      v.Array("configs", configs);
    }
    bool operator==(const Resource&) const = default;
  };

  std::vector<Resource> resources;
  bool validate_only = false;

  template <typename V>
  void Fields(V& v) {
    v.Array("resources", resources);
    v.Bool("validate_only", validate_only);
  }
  bool operator==(const AlterConfigsRequest&) const = default;
};

struct AlterConfigsResponse {
  struct ResourceResult {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;

    template <typename V>
    void Fields(V& v) {
      v.Int16("error_code", error_code);
      v.NullableString("error_message", error_message);
      v.Int8("resource_type", resource_type);
      v.String("resource_name", resource_name);
    }
    bool operator==(const ResourceResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<ResourceResult> responses;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms);
    v.Array("responses", responses);
  }
  bool operator==(const AlterConfigsResponse&) const = default;
};

struct AlterConfigsApi {
  static constexpr ApiKey kKey = ApiKey::kAlterConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  static constexpr int16_t kFirstFlexible = 2;
  using Request = AlterConfigsRequest;
  using Response = AlterConfigsResponse;
};
static_assert(AlterConfigsApi::kFirstFlexible == FirstFlexibleVersion(AlterConfigsApi::kKey));

}  // namespace millstream::net::kafka
