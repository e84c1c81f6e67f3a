#include "net/kafka/protocol/sync_group.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

// ConsumerProtocolAssignment v0: orders partitions 0 and 1, null user_data.
// clang-format off
const std::vector<std::byte> kAssignment = Bytes({
    0x00, 0x00,                                      // version 0
    0x00, 0x00, 0x00, 0x01,                          // topics: 1
    0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',        // "orders"
    0x00, 0x00, 0x00, 0x02,                          // partitions: 2
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // 0, 1
    0xff, 0xff, 0xff, 0xff,                          // user_data: null
});
// clang-format on

SyncGroupRequest MakeRequest(Shape s) {
  SyncGroupRequest r;
  r.group_id = "cg-plant";
  r.generation_id = 4;
  r.member_id = "m-1";
  if (s.Has(Since(3))) r.group_instance_id = "plant-a";
  r.assignments = {{"m-1", BytesRef(kAssignment)}, {"m-2", BytesRef(ConstBytes())}};
  return r;
}

SyncGroupResponse MakeResponse(Shape s) {
  SyncGroupResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 2;
  r.assignment = BytesRef(kAssignment);
  return r;
}

TEST(SyncGroupCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<SyncGroupApi>(MakeRequest);
}

TEST(SyncGroupCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<SyncGroupApi>(MakeResponse);
}

TEST(SyncGroupCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<SyncGroupApi>(MakeRequest);
}

TEST(SyncGroupCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<SyncGroupApi>(MakeResponse);
}

TEST(SyncGroupCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<SyncGroupApi>(MakeRequest);
}

// The leader's SyncGroup at v3, assigning orders 0 and 1 to itself.
TEST(SyncGroupCodecTest, GoldenLeaderRequestV3Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x0e, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05,        // SyncGroup v3, correlation 5
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // group_id "cg-plant"
      0x00, 0x00, 0x00, 0x01,                                // generation_id 1
      0x00, 0x03, 'm', '-', '1',                             // member_id "m-1"
      0xff, 0xff,                                            // group_instance_id null
      0x00, 0x00, 0x00, 0x01,                                // assignments: 1
      0x00, 0x03, 'm', '-', '1',                             // member_id "m-1"
      0x00, 0x00, 0x00, 0x1e,                                // assignment: 30 bytes
      0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',
      0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
      0xff, 0xff, 0xff, 0xff,
  });
  // clang-format on
  auto decoded = DecodeRequest<SyncGroupApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const SyncGroupRequest& r = decoded->body;
  EXPECT_EQ(r.group_id, "cg-plant");
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.member_id, "m-1");
  EXPECT_FALSE(r.group_instance_id.has_value());
  ASSERT_EQ(r.assignments.size(), 1u);
  EXPECT_EQ(r.assignments[0].member_id, "m-1");
  EXPECT_EQ(r.assignments[0].assignment, BytesRef(kAssignment));

  auto again = EncodeRequest<SyncGroupApi>(decoded->header, r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

// A follower gets an empty (zero-length, not null) assignment when it has none.
TEST(SyncGroupCodecTest, EmptyAssignmentIsZeroLengthBytes) {
  SyncGroupResponse r;
  auto frame = EncodeResponse<SyncGroupApi>(5, 3, r);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(*frame, Bytes({0, 0, 0, 14, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace millstream::net::kafka
