#include "net/kafka/protocol/alter_configs.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/describe_configs.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Shape;

AlterConfigsRequest MakeRequest(Shape) {
  AlterConfigsRequest r;
  r.resources = {{.resource_type = kResourceTypeTopic,
                  .resource_name = "orders",
                  .configs = {{"retention.ms", "86400000"}, {"flush.ms", std::nullopt}}}};
  r.validate_only = true;
  return r;
}

AlterConfigsResponse MakeResponse(Shape) {
  AlterConfigsResponse r;
  r.throttle_time_ms = 8;
  r.responses = {
      {.resource_type = kResourceTypeTopic, .resource_name = "orders"},
      {.error_code = 40,  // INVALID_CONFIG
       .error_message = "unknown key",
       .resource_type = kResourceTypeTopic,
       .resource_name = "asn"},
  };
  return r;
}

TEST(AlterConfigsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<AlterConfigsApi>(MakeRequest);
}

TEST(AlterConfigsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<AlterConfigsApi>(MakeResponse);
}

TEST(AlterConfigsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<AlterConfigsApi>(MakeRequest);
}

TEST(AlterConfigsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<AlterConfigsApi>(MakeResponse);
}

TEST(AlterConfigsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<AlterConfigsApi>(MakeRequest);
}

}  // namespace
}  // namespace millstream::net::kafka
