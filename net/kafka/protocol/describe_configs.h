// DescribeConfigs (key 32): the configuration of topics or brokers. Versions
// 0..3, none flexible. v0 reports is_default; v1+ replaces it with config_source
// and adds synonyms; v3 adds config_type and documentation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

// Resource types shared by DescribeConfigs and AlterConfigs.
inline constexpr int8_t kResourceTypeTopic = 2;
inline constexpr int8_t kResourceTypeBroker = 4;

struct DescribeConfigsRequest {
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;  // null: all keys

    template <typename V>
    void Fields(V& v) {
      v.Int8("resource_type", resource_type);
      v.String("resource_name", resource_name);
      v.NullableArray("configuration_keys", configuration_keys);
    }
    bool operator==(const Resource&) const = default;
  };

  std::vector<Resource> resources;
  bool include_synonyms = false;
  bool include_documentation = false;

  template <typename V>
  void Fields(V& v) {
    v.Array("resources", resources);
    v.Bool("include_synonyms", include_synonyms, Since(1));
    v.Bool("include_documentation", include_documentation, Since(3));
  }
  bool operator==(const DescribeConfigsRequest&) const = default;
};

struct DescribeConfigsResponse {
  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.NullableString("value", value);
      v.Int8("source", source);
    }
    bool operator==(const Synonym&) const = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;  // v0 only
    int8_t config_source = -1;
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;
    int8_t config_type = 0;
    std::optional<std::string> documentation;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.NullableString("value", value);
      v.Bool("read_only", read_only);
      v.Bool("is_default", is_default, Only(0));
      v.Int8("config_source", config_source, Since(1));
      v.Bool("is_sensitive", is_sensitive);
      v.Array("synonyms", synonyms, Since(1));
      v.Int8("config_type", config_type, Since(3));
      v.NullableString("documentation", documentation, Since(3));
    }
    bool operator==(const Config&) const = default;
  };
  struct ResourceResult {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;

    template <typename V>
    void Fields(V& v) {
      v.Int16("error_code", error_code);
      v.NullableString("error_message", error_message);
      v.Int8("resource_type", resource_type);
      v.String("resource_name", resource_name);
      v.Array("configs", configs);
    }
    bool operator==(const ResourceResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<ResourceResult> results;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms);
    v.Array("results", results);
  }
  bool operator==(const DescribeConfigsResponse&) const = default;
};

struct DescribeConfigsApi {
  static constexpr ApiKey kKey = ApiKey::kDescribeConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static constexpr int16_t kFirstFlexible = 4;
  using Request = DescribeConfigsRequest;
  using Response = DescribeConfigsResponse;
};
static_assert(DescribeConfigsApi::kFirstFlexible == FirstFlexibleVersion(DescribeConfigsApi::kKey));

}  // namespace millstream::net::kafka
