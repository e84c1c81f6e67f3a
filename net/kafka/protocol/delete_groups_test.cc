#include "net/kafka/protocol/delete_groups.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

DeleteGroupsRequest MakeRequest(Shape) { return {.groups_names = {"cg-plant", "cg-old"}}; }

DeleteGroupsResponse MakeResponse(Shape) {
  return {.throttle_time_ms = 6,
          .results = {{"cg-plant", 68}, {"cg-old", 0}}};  // NON_EMPTY_GROUP, none
}

TEST(DeleteGroupsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<DeleteGroupsApi>(MakeRequest);
}

TEST(DeleteGroupsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<DeleteGroupsApi>(MakeResponse);
}

TEST(DeleteGroupsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<DeleteGroupsApi>(MakeRequest);
}

TEST(DeleteGroupsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<DeleteGroupsApi>(MakeResponse);
}

TEST(DeleteGroupsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<DeleteGroupsApi>(MakeRequest);
}

TEST(DeleteGroupsCodecTest, GoldenRequestV1Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x2a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0e,        // DeleteGroups v1, correlation 14
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x00, 0x00, 0x01,                                // groups_names: 1
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // "cg-plant"
  });
  // clang-format on
  auto decoded = DecodeRequest<DeleteGroupsApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.api_key, ApiKey::kDeleteGroups);
  EXPECT_EQ(decoded->body.groups_names, std::vector<std::string>{"cg-plant"});

  auto again = EncodeRequest<DeleteGroupsApi>(decoded->header, decoded->body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

TEST(DeleteGroupsCodecTest, ResponseV1Layout) {
  DeleteGroupsResponse r{.results = {{"g", 69}}};  // GROUP_ID_NOT_FOUND
  auto frame = EncodeResponse<DeleteGroupsApi>(14, 1, r);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  // clang-format off
  EXPECT_EQ(*frame, Bytes({0, 0, 0, 17, 0, 0, 0, 14,  // size, correlation
                           0, 0, 0, 0,                // throttle_time_ms
                           0, 0, 0, 1,                // results: 1
                           0, 1, 'g', 0, 69}));       // group_id "g", error_code 69
  // clang-format on
}

}  // namespace
}  // namespace millstream::net::kafka
