#include "net/kafka/protocol/metadata.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

MetadataRequest MakeRequest(Shape s) {
  MetadataRequest r;
  r.topics = std::vector<MetadataRequest::Topic>{{"orders"}, {"asn.inbound"}};
  if (s.Has(Since(4))) r.allow_auto_topic_creation = false;
  if (s.Has(Between(8, 10))) r.include_cluster_authorized_operations = true;
  if (s.Has(Since(8))) r.include_topic_authorized_operations = true;
  return r;
}

MetadataResponse MakeResponse(Shape s) {
  MetadataResponse r;
  if (s.Has(Since(3))) r.throttle_time_ms = 25;
  MetadataResponse::Broker broker{.node_id = 1, .host = "127.0.0.1", .port = 9092};
  if (s.Has(Since(1))) broker.rack = "rack-a";
  r.brokers = {broker, {.node_id = 2, .host = "plant-2", .port = 9093}};
  if (s.Has(Since(2))) r.cluster_id = "millstream-cluster";
  if (s.Has(Since(1))) r.controller_id = 1;

  MetadataResponse::Partition p0;
  p0.partition_index = PartitionId(0);
  p0.leader_id = 1;
  if (s.Has(Since(7))) p0.leader_epoch = 4;
  p0.replica_nodes = {1, 2};
  p0.isr_nodes = {1};
  if (s.Has(Since(5))) p0.offline_replicas = {2};
  MetadataResponse::Partition p1 = p0;
  p1.partition_index = PartitionId(1);
  p1.error_code = 5;  // LEADER_NOT_AVAILABLE

  MetadataResponse::Topic t;
  t.name = "orders";
  if (s.Has(Since(1))) t.is_internal = true;
  t.partitions = {p0, p1};
  if (s.Has(Since(8))) t.topic_authorized_operations = 0x0f;
  r.topics = {t, {.error_code = 3, .name = "missing"}};
  if (s.Has(Between(8, 10))) r.cluster_authorized_operations = 0x70;
  return r;
}

TEST(MetadataCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<MetadataApi>(MakeRequest);
}

TEST(MetadataCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<MetadataApi>(MakeResponse);
}

TEST(MetadataCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<MetadataApi>(MakeRequest);
}

TEST(MetadataCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<MetadataApi>(MakeResponse);
}

TEST(MetadataCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<MetadataApi>(MakeRequest);
}

TEST(MetadataCodecTest, NullTopicsRoundTripFromVersion1) {
  MetadataRequest all;
  all.topics.reset();
  for (int16_t v = 1; v <= MetadataApi::kMaxVersion; ++v) {
    auto frame = EncodeRequest<MetadataApi>(testing::HeaderAt<MetadataApi>(v), all);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    auto decoded = DecodeRequest<MetadataApi>(testing::Unframe(*frame));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_FALSE(decoded->body.topics.has_value()) << "v" << v;
  }
}

TEST(MetadataCodecTest, NullTopicsAreRejectedAtVersion0) {
  MetadataRequest all;
  all.topics.reset();
  auto frame = EncodeRequest<MetadataApi>(testing::HeaderAt<MetadataApi>(0), all);
  ASSERT_FALSE(frame.ok());
  EXPECT_NE(frame.status().message().find("'topics'"), std::string::npos)
      << frame.status().ToString();

  // header v1: key 3, version 0, correlation 7, client_id null; topics count -1.
  auto bytes = Bytes({0, 3, 0, 0, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  auto decoded = DecodeRequest<MetadataApi>(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("null is not allowed in version 0 at field 'topics'"),
            std::string::npos)
      << decoded.status().ToString();
}

// kcat -L with librdkafka 2.0.2 against a broker advertising Metadata 0..8: v4,
// all topics (null array), auto-creation off. Hand-assembled per MINIMUM.md.
TEST(MetadataCodecTest, GoldenLibrdkafkaAllTopicsRequestV4Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x03,                                     // api_key 3 (Metadata)
      0x00, 0x04,                                     // api_version 4
      0x00, 0x00, 0x00, 0x02,                         // correlation_id 2
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',  // client_id "rdkafka"
      0xff, 0xff, 0xff, 0xff,                         // topics: null = all topics
      0x00,                                           // allow_auto_topic_creation false
  });
  // clang-format on
  auto decoded = DecodeRequest<MetadataApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.api_version, 4);
  EXPECT_EQ(decoded->header.correlation_id, 2);
  EXPECT_EQ(decoded->header.client_id, "rdkafka");
  EXPECT_FALSE(decoded->body.topics.has_value());
  EXPECT_FALSE(decoded->body.allow_auto_topic_creation);
}

// A producer's metadata refresh for one topic, auto-creation on.
TEST(MetadataCodecTest, GoldenLibrdkafkaOneTopicRequestV4Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,  // Metadata v4, correlation 5
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',   // client_id "rdkafka"
      0x00, 0x00, 0x00, 0x01,                          // topics: 1
      0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',        //   name "orders"
      0x01,                                            // allow_auto_topic_creation true
  });
  // clang-format on
  auto decoded = DecodeRequest<MetadataApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_TRUE(decoded->body.topics.has_value());
  ASSERT_EQ(decoded->body.topics->size(), 1u);
  EXPECT_EQ((*decoded->body.topics)[0].name, "orders");
  EXPECT_TRUE(decoded->body.allow_auto_topic_creation);
}

}  // namespace
}  // namespace millstream::net::kafka
