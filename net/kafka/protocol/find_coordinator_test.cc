#include "net/kafka/protocol/find_coordinator.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

FindCoordinatorRequest MakeRequest(Shape s) {
  FindCoordinatorRequest r;
  r.key = "tx-plant-1";
  if (s.Has(Since(1))) r.key_type = kCoordinatorKeyTypeTransaction;
  return r;
}

FindCoordinatorResponse MakeResponse(Shape s) {
  FindCoordinatorResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 7;
  r.error_code = 15;  // COORDINATOR_NOT_AVAILABLE
  if (s.Has(Since(1))) r.error_message = "The coordinator is not available.";
  r.node_id = 1;
  r.host = "127.0.0.1";
  r.port = 9092;
  return r;
}

TEST(FindCoordinatorCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<FindCoordinatorApi>(MakeRequest);
}

TEST(FindCoordinatorCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<FindCoordinatorApi>(MakeResponse);
}

TEST(FindCoordinatorCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<FindCoordinatorApi>(MakeRequest);
}

TEST(FindCoordinatorCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<FindCoordinatorApi>(MakeResponse);
}

TEST(FindCoordinatorCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<FindCoordinatorApi>(MakeRequest);
}

// librdkafka's consumer looking for its group coordinator at v2: key_type 0.
TEST(FindCoordinatorCodecTest, GoldenGroupRequestV2Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x0a, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,        // FindCoordinator v2, correlation 3
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // key "cg-plant"
      0x00,                                                  // key_type 0 (group)
  });
  // clang-format on
  auto decoded = DecodeRequest<FindCoordinatorApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.api_version, 2);
  EXPECT_EQ(decoded->header.correlation_id, 3);
  EXPECT_EQ(decoded->body.key, "cg-plant");
  EXPECT_EQ(decoded->body.key_type, kCoordinatorKeyTypeGroup);

  auto again = EncodeRequest<FindCoordinatorApi>(decoded->header, decoded->body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

// v0 has no throttle time and no error message: error_code comes first.
TEST(FindCoordinatorCodecTest, Version0ResponseStartsWithErrorCode) {
  FindCoordinatorResponse r{.node_id = 1, .host = "h", .port = 9092};
  auto frame = EncodeResponse<FindCoordinatorApi>(3, 0, r);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  // clang-format off
  EXPECT_EQ(*frame, Bytes({0, 0, 0, 17, 0, 0, 0, 3,  // size, correlation
                           0, 0,                     // error_code
                           0, 0, 0, 1,               // node_id
                           0, 1, 'h',                // host
                           0, 0, 0x23, 0x84}));      // port 9092
  // clang-format on
}

}  // namespace
}  // namespace millstream::net::kafka
