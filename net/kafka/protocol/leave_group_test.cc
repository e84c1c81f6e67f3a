#include "net/kafka/protocol/leave_group.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

LeaveGroupRequest MakeRequest(Shape s) {
  LeaveGroupRequest r;
  r.group_id = "cg-plant";
  if (s.Has(Until(2))) r.member_id = "m-1";
  if (s.Has(Since(3))) r.members = {{"m-1", "plant-a"}, {"m-2", std::nullopt}};
  return r;
}

LeaveGroupResponse MakeResponse(Shape s) {
  LeaveGroupResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 1;
  if (s.Has(Since(3))) {
    r.members = {{.member_id = "m-1", .group_instance_id = "plant-a"},
                 {.member_id = "m-2", .error_code = 25}};  // UNKNOWN_MEMBER_ID
  }
  return r;
}

TEST(LeaveGroupCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<LeaveGroupApi>(MakeRequest);
}

TEST(LeaveGroupCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<LeaveGroupApi>(MakeResponse);
}

TEST(LeaveGroupCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<LeaveGroupApi>(MakeRequest);
}

TEST(LeaveGroupCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<LeaveGroupApi>(MakeResponse);
}

TEST(LeaveGroupCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<LeaveGroupApi>(MakeRequest);
}

// librdkafka 2.0.2 leaves with v1: one member_id, no members array.
TEST(LeaveGroupCodecTest, GoldenRequestV1Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07,        // LeaveGroup v1, correlation 7
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // group_id "cg-plant"
      0x00, 0x0c, 'r', 'd', 'k', 'a', 'f', 'k', 'a', '-', '7', 'c', '1', 'e',  // member_id
  });
  // clang-format on
  auto decoded = DecodeRequest<LeaveGroupApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body.group_id, "cg-plant");
  EXPECT_EQ(decoded->body.member_id, "rdkafka-7c1e");
  EXPECT_TRUE(decoded->body.members.empty());

  auto again = EncodeRequest<LeaveGroupApi>(decoded->header, decoded->body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

// v3 has no top-level member_id: the members array follows group_id directly.
TEST(LeaveGroupCodecTest, Version3RequestHasMembersInsteadOfMemberId) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x0d, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08,        // LeaveGroup v3, correlation 8
      0xff, 0xff,                                            // client_id null
      0x00, 0x01, 'g',                                       // group_id "g"
      0x00, 0x00, 0x00, 0x01,                                // members: 1
      0x00, 0x03, 'm', '-', '1',                             // member_id "m-1"
      0x00, 0x01, 'i',                                       // group_instance_id "i"
  });
  // clang-format on
  auto decoded = DecodeRequest<LeaveGroupApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body.member_id, "");
  ASSERT_EQ(decoded->body.members.size(), 1u);
  EXPECT_EQ(decoded->body.members[0].member_id, "m-1");
  EXPECT_EQ(decoded->body.members[0].group_instance_id, "i");
}

}  // namespace
}  // namespace millstream::net::kafka
