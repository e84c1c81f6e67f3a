#include "net/kafka/protocol/fetch.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

const std::vector<std::byte> kStoredBatches = Bytes({0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 1, 7});

FetchRequest MakeRequest(Shape s) {
  FetchRequest r;
  r.replica_id = -1;
  r.max_wait_ms = 500;
  r.min_bytes = 1;
  if (s.Has(Since(3))) r.max_bytes = 52428800;
  if (s.Has(Since(4))) r.isolation_level = 1;
  if (s.Has(Since(7))) {
    r.session_id = 0;
    r.session_epoch = 3;
  }
  FetchRequest::Partition p;
  p.partition = PartitionId(2);
  if (s.Has(Since(9))) p.current_leader_epoch = 5;
  p.fetch_offset = Offset(1234);
  if (s.Has(Since(5))) p.log_start_offset = Offset(100);
  p.partition_max_bytes = 1048576;
  r.topics = {{.topic = "orders", .partitions = {p, p}}, {.topic = "asn", .partitions = {}}};
  r.topics[0].partitions[1].partition = PartitionId(3);
  if (s.Has(Since(7))) {
    r.forgotten_topics_data = {{.topic = "old", .partitions = {PartitionId(0), PartitionId(4)}}};
  }
  if (s.Has(Since(11))) r.rack_id = "rack-b";
  return r;
}

FetchResponse MakeResponse(Shape s) {
  FetchResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 3;
  if (s.Has(Since(7))) {
    r.error_code = 0;
    r.session_id = 77;
  }
  FetchResponse::Partition data;
  data.partition_index = PartitionId(2);
  data.high_watermark = Offset(50);
  if (s.Has(Since(4))) {
    data.last_stable_offset = Offset(48);
    data.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{
        {.producer_id = 9000, .first_offset = Offset(40)}};
  }
  if (s.Has(Since(5))) data.log_start_offset = Offset(0);
  if (s.Has(Since(11))) data.preferred_read_replica = 1;
  data.records = BytesRef(kStoredBatches);

  FetchResponse::Partition empty;
  empty.partition_index = PartitionId(3);
  empty.error_code = 1;  // OFFSET_OUT_OF_RANGE
  empty.high_watermark = Offset(-1);
  empty.records = BytesRef();  // null; aborted_transactions stays null
  r.responses = {{.topic = "orders", .partitions = {data, empty}}};
  return r;
}

TEST(FetchCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<FetchApi>(MakeRequest);
}

TEST(FetchCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<FetchApi>(MakeResponse);
}

TEST(FetchCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<FetchApi>(MakeRequest);
}

TEST(FetchCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<FetchApi>(MakeResponse);
}

TEST(FetchCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<FetchApi>(MakeRequest);
}

TEST(FetchCodecTest, VersionsBelow4AreNotSupported) {
  auto frame = EncodeRequest<FetchApi>(testing::HeaderAt<FetchApi>(3), MakeRequest({3}));
  EXPECT_FALSE(frame.ok());
  EXPECT_FALSE(DecodeRequestBody<FetchApi>(3, {}).ok());
}

// A partition with no data answers an empty (not null) records field.
TEST(FetchCodecTest, EmptyRecordsEncodeAsZeroLength) {
  FetchResponse r;
  FetchResponse::Partition p;
  p.records = BytesRef(ConstBytes());
  r.responses = {{.topic = "t", .partitions = {p}}};
  auto frame = EncodeResponse<FetchApi>(1, 4, r);
  ASSERT_TRUE(frame.ok());
  // The frame ends with the records length: int32 0.
  std::vector<std::byte> tail(frame->end() - 4, frame->end());
  EXPECT_EQ(tail, Bytes({0, 0, 0, 0}));
}

// A count larger than the bytes left is refused before anything is allocated.
TEST(FetchCodecTest, AbsurdTopicCountIsRejected) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,  // Fetch v4, correlation 1
      0xff, 0xff,                                      // client_id null
      0xff, 0xff, 0xff, 0xff,                          // replica_id -1
      0x00, 0x00, 0x01, 0xf4, 0x00, 0x00, 0x00, 0x01,  // max_wait_ms, min_bytes
      0x7f, 0xff, 0xff, 0xff, 0x00,                    // max_bytes, isolation_level
      0x7f, 0xff, 0xff, 0xff,                          // topics: 2^31-1 of them
  });
  // clang-format on
  auto decoded = DecodeRequest<FetchApi>(frame);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "Fetch v4 request: invalid length or count at field 'topics'");
}

}  // namespace
}  // namespace millstream::net::kafka
