#include "net/kafka/protocol/heartbeat.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

HeartbeatRequest MakeRequest(Shape s) {
  HeartbeatRequest r;
  r.group_id = "cg-plant";
  r.generation_id = 4;
  r.member_id = "m-1";
  if (s.Has(Since(3))) r.group_instance_id = "plant-a";
  return r;
}

HeartbeatResponse MakeResponse(Shape s) {
  HeartbeatResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 9;
  r.error_code = 27;  // REBALANCE_IN_PROGRESS
  return r;
}

TEST(HeartbeatCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<HeartbeatApi>(MakeRequest);
}

TEST(HeartbeatCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<HeartbeatApi>(MakeResponse);
}

TEST(HeartbeatCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<HeartbeatApi>(MakeRequest);
}

TEST(HeartbeatCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<HeartbeatApi>(MakeResponse);
}

TEST(HeartbeatCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<HeartbeatApi>(MakeRequest);
}

TEST(HeartbeatCodecTest, GoldenRequestV3Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x0c, 0x00, 0x03, 0x00, 0x00, 0x00, 0x06,        // Heartbeat v3, correlation 6
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // group_id "cg-plant"
      0x00, 0x00, 0x00, 0x01,                                // generation_id 1
      0x00, 0x0c, 'r', 'd', 'k', 'a', 'f', 'k', 'a', '-', '7', 'c', '1', 'e',  // member_id
      0xff, 0xff,                                            // group_instance_id null
  });
  // clang-format on
  auto decoded = DecodeRequest<HeartbeatApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body.group_id, "cg-plant");
  EXPECT_EQ(decoded->body.generation_id, 1);
  EXPECT_EQ(decoded->body.member_id, "rdkafka-7c1e");
  EXPECT_FALSE(decoded->body.group_instance_id.has_value());

  auto again = EncodeRequest<HeartbeatApi>(decoded->header, decoded->body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

}  // namespace
}  // namespace millstream::net::kafka
