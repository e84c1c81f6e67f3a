#include "net/kafka/protocol/produce.h"

#include <gtest/gtest.h>

#include "base/crc32c.h"
#include "base/endian.h"
#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

// Stand-ins for record batches: the codec carries records as opaque bytes.
const std::vector<std::byte> kBatchA = Bytes({1, 2, 3, 4, 5, 6, 7, 8});
const std::vector<std::byte> kBatchB = Bytes({9, 9, 9});

ProduceRequest MakeRequest(Shape s) {
  ProduceRequest r;
  if (s.Has(Since(3))) r.transactional_id = "txn-1";
  r.acks = -1;
  r.timeout_ms = 30000;
  r.topic_data = {
      {.name = "orders",
       .partition_data = {{PartitionId(0), BytesRef(kBatchA)},
                          {PartitionId(1), BytesRef()},  // null records
                          {PartitionId(2), BytesRef(ConstBytes())}}},
      {.name = "asn", .partition_data = {{PartitionId(7), BytesRef(kBatchB)}}},
  };
  return r;
}

ProduceResponse MakeResponse(Shape s) {
  ProduceResponse::Partition ok;
  ok.index = PartitionId(0);
  ok.base_offset = Offset(1000);
  if (s.Has(Since(2))) ok.log_append_time_ms = TimestampMs(1700000000000);
  if (s.Has(Since(5))) ok.log_start_offset = Offset(10);
  ProduceResponse::Partition bad;
  bad.index = PartitionId(1);
  bad.error_code = 87;  // INVALID_RECORD
  bad.base_offset = Offset(-1);
  if (s.Has(Since(8))) {
    bad.record_errors = {{0, "bad timestamp"}, {3, std::nullopt}};
    bad.error_message = "2 records rejected";
  }
  ProduceResponse r;
  r.responses = {{.name = "orders", .partition_responses = {ok, bad}}};
  if (s.Has(Since(1))) r.throttle_time_ms = 100;
  return r;
}

TEST(ProduceCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<ProduceApi>(MakeRequest);
}

TEST(ProduceCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<ProduceApi>(MakeResponse);
}

TEST(ProduceCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<ProduceApi>(MakeRequest);
}

TEST(ProduceCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<ProduceApi>(MakeResponse);
}

TEST(ProduceCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<ProduceApi>(MakeRequest);
}

TEST(ProduceCodecTest, NullAndEmptyRecordsStayDistinct) {
  auto frame = EncodeRequest<ProduceApi>(testing::HeaderAt<ProduceApi>(7), MakeRequest({7}));
  ASSERT_TRUE(frame.ok());
  auto decoded = DecodeRequest<ProduceApi>(testing::Unframe(*frame));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& parts = decoded->body.topic_data[0].partition_data;
  EXPECT_TRUE(parts[1].records.is_null());
  EXPECT_FALSE(parts[2].records.is_null());
  EXPECT_EQ(parts[2].records.size(), 0u);
}

TEST(ProduceCodecTest, DecodedRecordsBorrowTheFrame) {
  auto frame = EncodeRequest<ProduceApi>(testing::HeaderAt<ProduceApi>(7), MakeRequest({7}));
  ASSERT_TRUE(frame.ok());
  ConstBytes whole = testing::Unframe(*frame);
  auto decoded = DecodeRequest<ProduceApi>(whole);
  ASSERT_TRUE(decoded.ok());
  ConstBytes records = decoded->body.topic_data[0].partition_data[0].records.bytes();
  EXPECT_GE(records.data(), whole.data());
  EXPECT_LE(records.data() + records.size(), whole.data() + whole.size());
}

TEST(ProduceCodecTest, TruncatedRecordsAreReportedWithTheirPath) {
  auto frame = EncodeRequest<ProduceApi>(testing::HeaderAt<ProduceApi>(7), MakeRequest({7}));
  ASSERT_TRUE(frame.ok());
  ConstBytes whole = testing::Unframe(*frame);
  // The request ends with asn's partition 7 records (3 bytes); drop the last one.
  auto decoded = DecodeRequest<ProduceApi>(whole.first(whole.size() - 1));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(),
            "Produce v7 request: truncated at field 'topic_data[1].partition_data[0].records'");
}

// A librdkafka 2.0.2 producer with acks=all and idempotence off (MINIMUM.md
// section 3): Produce v7, transactional_id null, one partition's batch. The batch
// is a RecordBatch v2 with one record (key null, value "hello").
TEST(ProduceCodecTest, GoldenLibrdkafkaRequestV7Decodes) {
  // clang-format off
  const auto batch = Bytes({
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // baseOffset 0
      0x00, 0x00, 0x00, 0x3d,                          // batchLength 61
      0x00, 0x00, 0x00, 0x00,                          // partitionLeaderEpoch 0
      0x02,                                            // magic 2
      0xe6, 0x41, 0xa4, 0x4b,                          // crc32c
      0x00, 0x00,                                      // attributes: no compression
      0x00, 0x00, 0x00, 0x00,                          // lastOffsetDelta 0
      0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,  // baseTimestamp 1700000000000
      0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,  // maxTimestamp
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // producerId -1
      0xff, 0xff,                                      // producerEpoch -1
      0xff, 0xff, 0xff, 0xff,                          // baseSequence -1
      0x00, 0x00, 0x00, 0x01,                          // recordsCount 1
      0x16, 0x00, 0x00, 0x00, 0x01,                    // len 11, attrs, ts/offset delta, key null
      0x0a, 'h', 'e', 'l', 'l', 'o', 0x00,             // value "hello", no headers
  });
  // clang-format on
  ASSERT_EQ(batch.size(), 73u);
  ASSERT_EQ(Crc32c(ConstBytes(batch).subspan(21)), LoadBigEndian<uint32_t>(batch.data() + 17));

  // clang-format off
  auto frame = Bytes({
      0x00, 0x00, 0x00, 0x07,                         // Produce v7
      0x00, 0x00, 0x00, 0x03,                         // correlation_id 3
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',  // client_id "rdkafka"
      0xff, 0xff,                                     // transactional_id null
      0xff, 0xff,                                     // acks -1
      0x00, 0x00, 0x75, 0x30,                         // timeout_ms 30000
      0x00, 0x00, 0x00, 0x01,                         // topics: 1
      0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',       //   name "orders"
      0x00, 0x00, 0x00, 0x01,                         //   partitions: 1
      0x00, 0x00, 0x00, 0x00,                         //     index 0
      0x00, 0x00, 0x00, 0x49,                         //     records: 73 bytes
  });
  // clang-format on
  frame.insert(frame.end(), batch.begin(), batch.end());

  auto decoded = DecodeRequest<ProduceApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.api_key, ApiKey::kProduce);
  EXPECT_EQ(decoded->header.api_version, 7);
  EXPECT_EQ(decoded->header.correlation_id, 3);
  const ProduceRequest& r = decoded->body;
  EXPECT_FALSE(r.transactional_id.has_value());
  EXPECT_EQ(r.acks, -1);
  EXPECT_EQ(r.timeout_ms, 30000);
  ASSERT_EQ(r.topic_data.size(), 1u);
  EXPECT_EQ(r.topic_data[0].name, "orders");
  ASSERT_EQ(r.topic_data[0].partition_data.size(), 1u);
  EXPECT_EQ(r.topic_data[0].partition_data[0].index, PartitionId(0));
  EXPECT_EQ(r.topic_data[0].partition_data[0].records, BytesRef(batch));
}

}  // namespace
}  // namespace millstream::net::kafka
