#include "net/kafka/protocol/offset_fetch.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

OffsetFetchRequest MakeRequest(Shape s) {
  OffsetFetchRequest r;
  r.group_id = "cg-plant";
  r.topics = std::vector<OffsetFetchRequest::Topic>{
      {"orders", {PartitionId(0), PartitionId(1), PartitionId(2)}},
      {"asn", {}},
  };
  if (s.Has(Since(7))) r.require_stable = true;
  return r;
}

OffsetFetchResponse MakeResponse(Shape s) {
  OffsetFetchResponse r;
  if (s.Has(Since(3))) r.throttle_time_ms = 11;
  OffsetFetchResponse::Partition committed;
  committed.partition_index = PartitionId(0);
  committed.committed_offset = Offset(42);
  if (s.Has(Since(5))) committed.committed_leader_epoch = 3;
  committed.metadata = "checkpoint-7";
  OffsetFetchResponse::Partition none;  // nothing committed: offset -1, null metadata
  none.partition_index = PartitionId(1);
  OffsetFetchResponse::Partition unstable;
  unstable.partition_index = PartitionId(2);
  unstable.metadata = "";
  unstable.error_code = 88;  // UNSTABLE_OFFSET_COMMIT
  r.topics = {{"orders", {committed, none, unstable}}, {"asn", {}}};
  if (s.Has(Since(2))) r.error_code = 14;  // COORDINATOR_LOAD_IN_PROGRESS
  return r;
}

TEST(OffsetFetchCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<OffsetFetchApi>(MakeRequest);
}

TEST(OffsetFetchCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<OffsetFetchApi>(MakeResponse);
}

TEST(OffsetFetchCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<OffsetFetchApi>(MakeRequest);
}

TEST(OffsetFetchCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<OffsetFetchApi>(MakeResponse);
}

TEST(OffsetFetchCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<OffsetFetchApi>(MakeRequest);
}

// librdkafka 2.0.2 at v7 (flexible): request header v2 (classic client_id, then
// a tag byte), compact strings and arrays (length + 1), a tag byte ending every
// struct, and require_stable true for its default isolation.level
// read_committed.
TEST(OffsetFetchCodecTest, GoldenFlexibleRequestV7Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x00, 0x0b,  // OffsetFetch v7, correlation 11
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',   // client_id (classic)
      0x00,                                            // header tags
      0x09, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // group_id: compact "cg-plant"
      0x02,                                            // topics: compact, 1
      0x07, 'o', 'r', 'd', 'e', 'r', 's',              // name: compact "orders"
      0x03,                                            // partition_indexes: compact, 2
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // 0, 1
      0x00,                                            // topic tags
      0x01,                                            // require_stable true
      0x00,                                            // body tags
  });
  // clang-format on
  auto decoded = DecodeRequest<OffsetFetchApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.api_version, 7);
  EXPECT_EQ(decoded->header.client_id, "rdkafka");
  const OffsetFetchRequest& r = decoded->body;
  EXPECT_EQ(r.group_id, "cg-plant");
  ASSERT_TRUE(r.topics.has_value());
  ASSERT_EQ(r.topics->size(), 1u);
  EXPECT_EQ((*r.topics)[0].name, "orders");
  EXPECT_EQ((*r.topics)[0].partition_indexes,
            (std::vector<PartitionId>{PartitionId(0), PartitionId(1)}));
  EXPECT_TRUE(r.require_stable);

  auto again = EncodeRequest<OffsetFetchApi>(decoded->header, r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

// Flexible responses get response header v1 and compact encodings; nothing
// committed yet reads as offset -1, epoch -1, metadata null (compact 0x00).
TEST(OffsetFetchCodecTest, FlexibleResponseV7HasHeaderTagsAndCompactFields) {
  OffsetFetchResponse r;
  OffsetFetchResponse::Partition p;
  p.partition_index = PartitionId(0);
  r.topics = {{"orders", {p}}};
  auto frame = EncodeResponse<OffsetFetchApi>(11, 7, r);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  // clang-format off
  EXPECT_EQ(*frame, Bytes({
                        0x00, 0x00, 0x00, 0x2a,                          // size 42
                        0x00, 0x00, 0x00, 0x0b, 0x00,                    // correlation, header tags
                        0x00, 0x00, 0x00, 0x00,                          // throttle_time_ms
                        0x02,                                            // topics: 1
                        0x07, 'o', 'r', 'd', 'e', 'r', 's',              // "orders"
                        0x02,                                            // partitions: 1
                        0x00, 0x00, 0x00, 0x00,                          // partition_index 0
                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // committed_offset -1
                        0xff, 0xff, 0xff, 0xff,                          // leader epoch -1
                        0x00,                                            // metadata null
                        0x00, 0x00,                                      // error_code
                        0x00,                                            // partition tags
                        0x00,                                            // topic tags
                        0x00, 0x00,                                      // error_code
                        0x00,                                            // body tags
                    }));
  // clang-format on
}

TEST(OffsetFetchCodecTest, NullTopicsMeanAllTopicsFromVersion2) {
  OffsetFetchRequest all;
  all.group_id = "cg-plant";
  for (int16_t v = 2; v <= OffsetFetchApi::kMaxVersion; ++v) {
    auto frame = EncodeRequest<OffsetFetchApi>(testing::HeaderAt<OffsetFetchApi>(v), all);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    auto decoded = DecodeRequest<OffsetFetchApi>(testing::Unframe(*frame));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_FALSE(decoded->body.topics.has_value()) << "v" << v;
  }
}

TEST(OffsetFetchCodecTest, NullTopicsAreRejectedBeforeVersion2) {
  OffsetFetchRequest all;
  all.group_id = "g";
  for (int16_t v = 0; v < 2; ++v) {
    auto frame = EncodeRequest<OffsetFetchApi>(testing::HeaderAt<OffsetFetchApi>(v), all);
    EXPECT_FALSE(frame.ok()) << "v" << v;
  }
  // header v1: key 9, version 1, correlation 7, client_id null; group "g", topics -1.
  auto bytes = Bytes({0, 9, 0, 1, 0, 0, 0, 7, 0xff, 0xff, 0, 1, 'g', 0xff, 0xff, 0xff, 0xff});
  auto decoded = DecodeRequest<OffsetFetchApi>(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("null is not allowed in version 1 at field 'topics'"),
            std::string::npos)
      << decoded.status().ToString();
}

}  // namespace
}  // namespace millstream::net::kafka
