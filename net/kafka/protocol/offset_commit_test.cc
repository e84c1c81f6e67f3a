#include "net/kafka/protocol/offset_commit.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

OffsetCommitRequest MakeRequest(Shape s) {
  OffsetCommitRequest r;
  r.group_id = "cg-plant";
  if (s.Has(Since(1))) {
    r.generation_id = 4;
    r.member_id = "m-1";
  }
  if (s.Has(Since(7))) r.group_instance_id = "plant-a";
  if (s.Has(Between(2, 4))) r.retention_time_ms = 86400000;

  OffsetCommitRequest::Partition p0;
  p0.partition_index = PartitionId(0);
  p0.committed_offset = Offset(42);
  if (s.Has(Since(6))) p0.committed_leader_epoch = 3;
  if (s.Has(Only(1))) p0.commit_timestamp = TimestampMs(1700000000000);
  p0.committed_metadata = "checkpoint-7";
  OffsetCommitRequest::Partition p1;
  p1.partition_index = PartitionId(1);
  p1.committed_offset = Offset(7);
  p1.committed_metadata = std::nullopt;
  OffsetCommitRequest::Partition p5;
  p5.partition_index = PartitionId(5);
  p5.committed_offset = Offset(0);
  p5.committed_metadata = "";
  r.topics = {{"orders", {p0, p1}}, {"asn", {p5}}};
  return r;
}

OffsetCommitResponse MakeResponse(Shape s) {
  OffsetCommitResponse r;
  if (s.Has(Since(3))) r.throttle_time_ms = 8;
  r.topics = {{"orders", {{PartitionId(0), 0}, {PartitionId(1), 22}}},  // ILLEGAL_GENERATION
              {"asn", {{PartitionId(5), 12}}}};                         // OFFSET_METADATA_TOO_LARGE
  return r;
}

TEST(OffsetCommitCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<OffsetCommitApi>(MakeRequest);
}

TEST(OffsetCommitCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<OffsetCommitApi>(MakeResponse);
}

TEST(OffsetCommitCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<OffsetCommitApi>(MakeRequest);
}

TEST(OffsetCommitCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<OffsetCommitApi>(MakeResponse);
}

TEST(OffsetCommitCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<OffsetCommitApi>(MakeRequest);
}

// librdkafka 2.0.2 commits at v7: leader epoch -1 and an empty (not null)
// metadata string for offsets stored without metadata.
TEST(OffsetCommitCodecTest, GoldenRequestV7Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x09,        // OffsetCommit v7, correlation 9
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // group_id "cg-plant"
      0x00, 0x00, 0x00, 0x01,                                // generation_id 1
      0x00, 0x0c, 'r', 'd', 'k', 'a', 'f', 'k', 'a', '-', '7', 'c', '1', 'e',  // member_id
      0xff, 0xff,                                            // group_instance_id null
      0x00, 0x00, 0x00, 0x01,                                // topics: 1
      0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',              // name "orders"
      0x00, 0x00, 0x00, 0x02,                                // partitions: 2
      0x00, 0x00, 0x00, 0x00,                                // partition_index 0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,        // committed_offset 42
      0xff, 0xff, 0xff, 0xff,                                // committed_leader_epoch -1
      0x00, 0x00,                                            // committed_metadata ""
      0x00, 0x00, 0x00, 0x01,                                // partition_index 1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,        // committed_offset 7
      0xff, 0xff, 0xff, 0xff,                                // committed_leader_epoch -1
      0x00, 0x00,                                            // committed_metadata ""
  });
  // clang-format on
  auto decoded = DecodeRequest<OffsetCommitApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const OffsetCommitRequest& r = decoded->body;
  EXPECT_EQ(r.group_id, "cg-plant");
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.member_id, "rdkafka-7c1e");
  EXPECT_FALSE(r.group_instance_id.has_value());
  EXPECT_EQ(r.retention_time_ms, -1);  // not in v7
  ASSERT_EQ(r.topics.size(), 1u);
  EXPECT_EQ(r.topics[0].name, "orders");
  ASSERT_EQ(r.topics[0].partitions.size(), 2u);
  const auto& p0 = r.topics[0].partitions[0];
  const auto& p1 = r.topics[0].partitions[1];
  EXPECT_EQ(p0.partition_index, PartitionId(0));
  EXPECT_EQ(p0.committed_offset, Offset(42));
  EXPECT_EQ(p0.committed_leader_epoch, -1);
  EXPECT_EQ(p0.committed_metadata, "");
  EXPECT_EQ(p1.partition_index, PartitionId(1));
  EXPECT_EQ(p1.committed_offset, Offset(7));

  auto again = EncodeRequest<OffsetCommitApi>(decoded->header, r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

// v1 alone carries a per-partition commit timestamp, after the offset.
TEST(OffsetCommitCodecTest, Version1PartitionHasCommitTimestamp) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a,        // OffsetCommit v1, correlation 10
      0xff, 0xff,                                            // client_id null
      0x00, 0x01, 'g',                                       // group_id "g"
      0xff, 0xff, 0xff, 0xff,                                // generation_id -1
      0x00, 0x00,                                            // member_id ""
      0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',               // topics: 1, "t"
      0x00, 0x00, 0x00, 0x01,                                // partitions: 1
      0x00, 0x00, 0x00, 0x03,                                // partition_index 3
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,        // committed_offset 256
      0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,        // commit_timestamp 1700000000000
      0xff, 0xff,                                            // committed_metadata null
  });
  // clang-format on
  auto decoded = DecodeRequest<OffsetCommitApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& p = decoded->body.topics.at(0).partitions.at(0);
  EXPECT_EQ(p.partition_index, PartitionId(3));
  EXPECT_EQ(p.committed_offset, Offset(256));
  EXPECT_EQ(p.commit_timestamp, TimestampMs(1700000000000));
  EXPECT_FALSE(p.committed_metadata.has_value());
}

}  // namespace
}  // namespace millstream::net::kafka
