#include "net/kafka/protocol/describe_configs.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Shape;

DescribeConfigsRequest MakeRequest(Shape s) {
  DescribeConfigsRequest r;
  r.resources = {
      {.resource_type = kResourceTypeTopic,
       .resource_name = "orders",
       .configuration_keys = std::vector<std::string>{"retention.ms", "segment.bytes"}},
      {.resource_type = kResourceTypeBroker, .resource_name = "1"},  // all keys (null)
  };
  if (s.Has(Since(1))) r.include_synonyms = true;
  if (s.Has(Since(3))) r.include_documentation = true;
  return r;
}

DescribeConfigsResponse MakeResponse(Shape s) {
  DescribeConfigsResponse::Config retention;
  retention.name = "retention.ms";
  retention.value = "604800000";
  if (s.Has(Only(0))) retention.is_default = true;
  if (s.Has(Since(1))) {
    retention.config_source = 5;  // DEFAULT_CONFIG
    retention.synonyms = {{"log.retention.ms", "604800000", 5}, {"log.retention.hours", {}, 4}};
  }
  if (s.Has(Since(3))) {
    retention.config_type = 5;  // LONG
    retention.documentation = "How long to keep a log segment.";
  }
  DescribeConfigsResponse::Config secret;
  secret.name = "sasl.password";
  secret.read_only = true;
  secret.is_sensitive = true;  // value stays null

  DescribeConfigsResponse r;
  r.throttle_time_ms = 6;
  r.results = {
      {.resource_type = kResourceTypeTopic,
       .resource_name = "orders",
       .configs = {retention, secret}},
      {.error_code = 3,
       .error_message = "no such topic",
       .resource_type = kResourceTypeTopic,
       .resource_name = "nope"},
  };
  return r;
}

TEST(DescribeConfigsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<DescribeConfigsApi>(MakeRequest);
}

TEST(DescribeConfigsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<DescribeConfigsApi>(MakeResponse);
}

TEST(DescribeConfigsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<DescribeConfigsApi>(MakeRequest);
}

TEST(DescribeConfigsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<DescribeConfigsApi>(MakeResponse);
}

TEST(DescribeConfigsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<DescribeConfigsApi>(MakeRequest);
}

}  // namespace
}  // namespace millstream::net::kafka
