#include "net/kafka/protocol/delete_records.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Shape;

DeleteRecordsRequest MakeRequest(Shape) {
  DeleteRecordsRequest r;
  r.topics = {{.name = "orders",
               .partitions = {{PartitionId(0), Offset(100)}, {PartitionId(1), Offset(-1)}}}};
  r.timeout_ms = 30000;
  return r;
}

DeleteRecordsResponse MakeResponse(Shape) {
  DeleteRecordsResponse r;
  r.throttle_time_ms = 9;
  r.topics = {{.name = "orders",
               .partitions = {{PartitionId(0), Offset(100), 0},
                              {PartitionId(1), Offset(-1), 1}}}};  // OFFSET_OUT_OF_RANGE
  return r;
}

TEST(DeleteRecordsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<DeleteRecordsApi>(MakeRequest);
}

TEST(DeleteRecordsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<DeleteRecordsApi>(MakeResponse);
}

TEST(DeleteRecordsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<DeleteRecordsApi>(MakeRequest);
}

TEST(DeleteRecordsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<DeleteRecordsApi>(MakeResponse);
}

TEST(DeleteRecordsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<DeleteRecordsApi>(MakeRequest);
}

}  // namespace
}  // namespace millstream::net::kafka
