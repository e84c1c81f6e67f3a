#include "net/kafka/protocol/list_groups.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

ListGroupsRequest MakeRequest(Shape) { return {}; }

ListGroupsResponse MakeResponse(Shape s) {
  ListGroupsResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 12;
  r.groups = {{"cg-plant", "consumer"}, {"connect-sink", "connect"}};
  return r;
}

TEST(ListGroupsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<ListGroupsApi>(MakeRequest);
}

TEST(ListGroupsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<ListGroupsApi>(MakeResponse);
}

TEST(ListGroupsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<ListGroupsApi>(MakeRequest);
}

TEST(ListGroupsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<ListGroupsApi>(MakeResponse);
}

TEST(ListGroupsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<ListGroupsApi>(MakeRequest);
}

// v2 is a bare request header: the body is empty.
TEST(ListGroupsCodecTest, GoldenRequestV2Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0c,  // ListGroups v2, correlation 12
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',   // client_id
  });
  // clang-format on
  auto decoded = DecodeRequest<ListGroupsApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.api_key, ApiKey::kListGroups);
  EXPECT_EQ(decoded->header.api_version, 2);
  EXPECT_EQ(decoded->header.correlation_id, 12);

  auto again = EncodeRequest<ListGroupsApi>(decoded->header, decoded->body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

TEST(ListGroupsCodecTest, TrailingBytesAfterTheEmptyBodyAreRejected) {
  auto frame = Bytes({0x00, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0c, 0xff, 0xff, 0x00});
  auto decoded = DecodeRequest<ListGroupsApi>(frame);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace millstream::net::kafka
