#include "net/kafka/protocol/init_producer_id.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

InitProducerIdRequest MakeRequest(Shape s) {
  InitProducerIdRequest r;
  r.transactional_id = "tx-plant-1";
  r.transaction_timeout_ms = 60000;
  if (s.Has(Since(3))) {
    r.producer_id = 4000;
    r.producer_epoch = 3;
  }
  return r;
}

InitProducerIdResponse MakeResponse(Shape) {
  return {.throttle_time_ms = 5, .error_code = 0, .producer_id = 4001, .producer_epoch = 0};
}

TEST(InitProducerIdCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<InitProducerIdApi>(MakeRequest);
}

TEST(InitProducerIdCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<InitProducerIdApi>(MakeResponse);
}

TEST(InitProducerIdCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<InitProducerIdApi>(MakeRequest);
}

TEST(InitProducerIdCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<InitProducerIdApi>(MakeResponse);
}

TEST(InitProducerIdCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<InitProducerIdApi>(MakeRequest);
}

// librdkafka's idempotent producer at v4 (flexible): request header v2, a null
// compact string (0x00) for transactional_id, KIP-360 id and epoch -1.
TEST(InitProducerIdCodecTest, GoldenIdempotentRequestV4Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x16, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,  // InitProducerId v4, correlation 2
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',   // client_id (classic)
      0x00,                                            // header tags
      0x00,                                            // transactional_id: null
      0x00, 0x00, 0xea, 0x60,                          // transaction_timeout_ms 60000
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // producer_id -1
      0xff, 0xff,                                      // producer_epoch -1
      0x00,                                            // body tags
  });
  // clang-format on
  auto decoded = DecodeRequest<InitProducerIdApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_FALSE(decoded->body.transactional_id.has_value());
  EXPECT_EQ(decoded->body.transaction_timeout_ms, 60000);
  EXPECT_EQ(decoded->body.producer_id, -1);
  EXPECT_EQ(decoded->body.producer_epoch, -1);
}

// Flexible responses get response header v1: a tag byte after the correlation id.
TEST(InitProducerIdCodecTest, FlexibleResponseHasHeaderTagsAndBodyTags) {
  auto frame = EncodeResponse<InitProducerIdApi>(2, 2, MakeResponse({}));
  ASSERT_TRUE(frame.ok());
  // clang-format off
  EXPECT_EQ(*frame, Bytes({0, 0, 0, 22, 0, 0, 0, 2, 0x00,  // size, correlation, header tags
                           0, 0, 0, 5, 0, 0,               // throttle 5, error 0
                           0, 0, 0, 0, 0, 0, 0x0f, 0xa1,   // producer_id 4001
                           0, 0,                           // producer_epoch 0
                           0x00}));                        // body tags
  // clang-format on
}

}  // namespace
}  // namespace millstream::net::kafka
