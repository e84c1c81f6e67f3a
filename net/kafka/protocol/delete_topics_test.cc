#include "net/kafka/protocol/delete_topics.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Shape;

DeleteTopicsRequest MakeRequest(Shape) {
  DeleteTopicsRequest r;
  r.topic_names = {"orders", "asn", ""};
  r.timeout_ms = 30000;
  return r;
}

DeleteTopicsResponse MakeResponse(Shape s) {
  DeleteTopicsResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 2;
  r.responses = {{.name = "orders"}, {.name = "nope", .error_code = 3}};
  return r;
}

TEST(DeleteTopicsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<DeleteTopicsApi>(MakeRequest);
}

TEST(DeleteTopicsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<DeleteTopicsApi>(MakeResponse);
}

TEST(DeleteTopicsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<DeleteTopicsApi>(MakeRequest);
}

TEST(DeleteTopicsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<DeleteTopicsApi>(MakeResponse);
}

TEST(DeleteTopicsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<DeleteTopicsApi>(MakeRequest);
}

}  // namespace
}  // namespace millstream::net::kafka
