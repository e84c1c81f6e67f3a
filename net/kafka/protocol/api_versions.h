// ApiVersions (key 18): the first request on every connection. Versions 0..3; v3
// is flexible (compact strings, tagged fields), and its response still uses
// response header v0 (header.h). A request above our maximum is answered by the
// handler with a v0-layout body carrying UNSUPPORTED_VERSION (MINIMUM.md section 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct ApiVersionsRequest {
  std::string client_software_name;
  std::string client_software_version;

  template <typename V>
  void Fields(V& v) {
    v.String("client_software_name", client_software_name, Since(3));
    v.String("client_software_version", client_software_version, Since(3));
  }
  bool operator==(const ApiVersionsRequest&) const = default;
};

struct ApiVersionsResponse {
  struct ApiVersion {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;

    template <typename V>
    void Fields(V& v) {
      v.Int16("api_key", api_key);
      v.Int16("min_version", min_version);
      v.Int16("max_version", max_version);
    }
    bool operator==(const ApiVersion&) const = default;
  };
  struct SupportedFeature {
    std::string name;
    int16_t min_version = 0;
    int16_t max_version = 0;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Int16("min_version", min_version);
      v.Int16("max_version", max_version);
    }
    bool operator==(const SupportedFeature&) const = default;
  };
  struct FinalizedFeature {
    std::string name;
    int16_t max_version_level = 0;
    int16_t min_version_level = 0;

    template <typename V>
    void Fields(V& v) {
      v.String("name", name);
      v.Int16("max_version_level", max_version_level);
      v.Int16("min_version_level", min_version_level);
    }
    bool operator==(const FinalizedFeature&) const = default;
  };

  int16_t error_code = 0;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;
  // Tagged (v3+); absent means "not sent". Epoch -1 would mean unknown.
  std::optional<std::vector<SupportedFeature>> supported_features;
  std::optional<int64_t> finalized_features_epoch;
  std::optional<std::vector<FinalizedFeature>> finalized_features;
  std::optional<bool> zk_migration_ready;

  template <typename V>
  void Fields(V& v) {
    v.Int16("error_code", error_code);
    v.Array("api_keys", api_keys);
    v.Int32("throttle_time_ms", throttle_time_ms, Since(1));
    v.Tagged(0, "supported_features", supported_features, Since(3));
    v.Tagged(1, "finalized_features_epoch", finalized_features_epoch, Since(3));
    v.Tagged(2, "finalized_features", finalized_features, Since(3));
    v.Tagged(3, "zk_migration_ready", zk_migration_ready, Since(3));
  }
  bool operator==(const ApiVersionsResponse&) const = default;
};

struct ApiVersionsApi {
  static constexpr ApiKey kKey = ApiKey::kApiVersions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static constexpr int16_t kFirstFlexible = 3;
  using Request = ApiVersionsRequest;
  using Response = ApiVersionsResponse;
};
static_assert(ApiVersionsApi::kFirstFlexible == FirstFlexibleVersion(ApiVersionsApi::kKey));

}  // namespace millstream::net::kafka
