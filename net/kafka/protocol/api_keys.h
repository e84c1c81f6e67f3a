// Kafka API keys (the int16 at the start of every request header) and, per key,
// the first version that uses the flexible (KIP-482) encoding. The header codec
// needs the latter for every key, including APIs whose bodies we do not decode,
// to know whether a request header carries a tagged-field section. Values are
// from ../shared/reference/kafka-protocol/ (README.md quick index).
#pragma once

#include <cstdint>
#include <string_view>

namespace millstream::net::kafka {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kDeleteRecords = 21,
  kInitProducerId = 22,
  kOffsetForLeaderEpoch = 23,
  kDescribeConfigs = 32,
  kAlterConfigs = 33,
  kSaslAuthenticate = 36,
  kDeleteGroups = 42,
  kDescribeCluster = 60,
};

// A version number no API reaches: "never flexible".
inline constexpr int16_t kNeverFlexible = INT16_MAX;

// The first flexible version of `key`, kNeverFlexible for SaslHandshake and for
// keys not listed above (their headers are then read as request header v1).
constexpr int16_t FirstFlexibleVersion(ApiKey key) {
  switch (key) {
    case ApiKey::kProduce: return 9;
    case ApiKey::kFetch: return 12;
    case ApiKey::kListOffsets: return 6;
    case ApiKey::kMetadata: return 9;
    case ApiKey::kOffsetCommit: return 8;
    case ApiKey::kOffsetFetch: return 6;
    case ApiKey::kFindCoordinator: return 3;
    case ApiKey::kJoinGroup: return 6;
    case ApiKey::kHeartbeat: return 4;
    case ApiKey::kLeaveGroup: return 4;
    case ApiKey::kSyncGroup: return 4;
    case ApiKey::kDescribeGroups: return 5;
    case ApiKey::kListGroups: return 3;
    case ApiKey::kSaslHandshake: return kNeverFlexible;
    case ApiKey::kApiVersions: return 3;
    case ApiKey::kCreateTopics: return 5;
    case ApiKey::kDeleteTopics: return 4;
    case ApiKey::kDeleteRecords: return 2;
    case ApiKey::kInitProducerId: return 2;
    case ApiKey::kOffsetForLeaderEpoch: return 4;
    case ApiKey::kDescribeConfigs: return 4;
    case ApiKey::kAlterConfigs: return 2;
    case ApiKey::kSaslAuthenticate: return 2;
    case ApiKey::kDeleteGroups: return 2;
    case ApiKey::kDescribeCluster: return 0;
  }
  return kNeverFlexible;
}

// "Produce", "ApiVersions", ...; "Unknown" for a key not listed above.
std::string_view ApiKeyName(ApiKey key);

}  // namespace millstream::net::kafka
