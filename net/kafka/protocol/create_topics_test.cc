#include "net/kafka/protocol/create_topics.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Shape;

CreateTopicsRequest MakeRequest(Shape s) {
  CreateTopicsRequest r;
  CreateTopicsRequest::Topic counted;
  counted.name = "orders";
  counted.num_partitions = 12;
  counted.replication_factor = 1;
  counted.configs = {{"retention.ms", "604800000"}, {"cleanup.policy", std::nullopt}};
  CreateTopicsRequest::Topic assigned;
  assigned.name = "asn";
  assigned.num_partitions = -1;
  assigned.replication_factor = -1;
  assigned.assignments = {{PartitionId(0), {1}}, {PartitionId(1), {1, 2}}};
  r.topics = {counted, assigned};
  r.timeout_ms = 15000;
  if (s.Has(Since(1))) r.validate_only = true;
  return r;
}

CreateTopicsResponse MakeResponse(Shape s) {
  CreateTopicsResponse r;
  if (s.Has(Since(2))) r.throttle_time_ms = 4;
  CreateTopicsResponse::Topic created{.name = "orders"};
  CreateTopicsResponse::Topic exists{.name = "asn", .error_code = 36};  // TOPIC_ALREADY_EXISTS
  if (s.Has(Since(1))) exists.error_message = "Topic 'asn' already exists.";
  r.topics = {created, exists};
  return r;
}

TEST(CreateTopicsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<CreateTopicsApi>(MakeRequest);
}

TEST(CreateTopicsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<CreateTopicsApi>(MakeResponse);
}

TEST(CreateTopicsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<CreateTopicsApi>(MakeRequest);
}

TEST(CreateTopicsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<CreateTopicsApi>(MakeResponse);
}

TEST(CreateTopicsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<CreateTopicsApi>(MakeRequest);
}

TEST(CreateTopicsCodecTest, OverlongTopicNameIsRefusedOnEncode) {
  CreateTopicsResponse r;
  r.topics = {{.name = std::string(40000, 'x')}};
  auto frame = EncodeResponse<CreateTopicsApi>(1, 2, r);
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().message(),
            "CreateTopics v2 response: string of 40000 bytes is too long at field "
            "'topics[0].name'");
}

}  // namespace
}  // namespace millstream::net::kafka
