#include "net/kafka/protocol/list_offsets.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

ListOffsetsRequest MakeRequest(Shape s) {
  ListOffsetsRequest r;
  r.replica_id = -1;
  if (s.Has(Since(2))) r.isolation_level = 1;
  ListOffsetsRequest::Partition latest;
  latest.partition_index = PartitionId(0);
  if (s.Has(Since(4))) latest.current_leader_epoch = 2;
  latest.timestamp = kLatestTimestamp;
  if (s.Has(Only(0))) latest.max_num_offsets = 5;
  ListOffsetsRequest::Partition at_time = latest;
  at_time.partition_index = PartitionId(1);
  at_time.timestamp = TimestampMs(1700000000000);
  r.topics = {{.name = "orders", .partitions = {latest, at_time}}};
  return r;
}

ListOffsetsResponse MakeResponse(Shape s) {
  ListOffsetsResponse r;
  if (s.Has(Since(2))) r.throttle_time_ms = 1;
  ListOffsetsResponse::Partition p;
  p.partition_index = PartitionId(0);
  if (s.Has(Only(0))) p.old_style_offsets = {Offset(500), Offset(0)};
  if (s.Has(Since(1))) {
    p.timestamp = TimestampMs(1700000000000);
    p.offset = Offset(500);
  }
  if (s.Has(Since(4))) p.leader_epoch = 2;
  ListOffsetsResponse::Partition missing;
  missing.partition_index = PartitionId(9);
  missing.error_code = 3;
  r.topics = {{.name = "orders", .partitions = {p, missing}}};
  return r;
}

TEST(ListOffsetsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<ListOffsetsApi>(MakeRequest);
}

TEST(ListOffsetsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<ListOffsetsApi>(MakeResponse);
}

TEST(ListOffsetsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<ListOffsetsApi>(MakeRequest);
}

TEST(ListOffsetsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<ListOffsetsApi>(MakeResponse);
}

TEST(ListOffsetsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<ListOffsetsApi>(MakeRequest);
}

// v0's own shape: max_num_offsets in the request, an offsets array in the reply.
TEST(ListOffsetsCodecTest, Version0ResponseCarriesAnOffsetsArray) {
  ListOffsetsResponse r;
  ListOffsetsResponse::Partition p;
  p.partition_index = PartitionId(0);
  p.old_style_offsets = {Offset(42)};
  r.topics = {{.name = "t", .partitions = {p}}};
  auto frame = EncodeResponse<ListOffsetsApi>(1, 0, r);
  ASSERT_TRUE(frame.ok());
  // clang-format off
  EXPECT_EQ(*frame, Bytes({0, 0, 0, 0x21,                 // size 33
                           0, 0, 0, 1,                    // correlation_id
                           0, 0, 0, 1, 0, 1, 't',         // topics: "t"
                           0, 0, 0, 1, 0, 0, 0, 0, 0, 0,  // partition 0, error 0
                           0, 0, 0, 1,                    // offsets: 1
                           0, 0, 0, 0, 0, 0, 0, 42}));
  // clang-format on
}

}  // namespace
}  // namespace millstream::net::kafka
