#include "net/kafka/protocol/describe_groups.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

// Stand-ins for the consumer-protocol bytes: the codec relays them as they are.
const std::vector<std::byte> kMetadata = Bytes({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
const std::vector<std::byte> kAssignment = Bytes({0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff});

DescribeGroupsRequest MakeRequest(Shape s) {
  DescribeGroupsRequest r;
  r.groups = {"cg-plant", "missing"};
  if (s.Has(Since(3))) r.include_authorized_operations = true;
  return r;
}

DescribeGroupsResponse MakeResponse(Shape s) {
  DescribeGroupsResponse r;
  if (s.Has(Since(1))) r.throttle_time_ms = 13;
  DescribeGroupsResponse::Member m1{.member_id = "m-1",
                                    .client_id = "rdkafka",
                                    .client_host = "/127.0.0.1",
                                    .member_metadata = BytesRef(kMetadata),
                                    .member_assignment = BytesRef(kAssignment)};
  if (s.Has(Since(4))) m1.group_instance_id = "plant-a";
  DescribeGroupsResponse::Member m2{
      .member_id = "m-2", .client_id = "", .client_host = "/10.0.0.2"};
  DescribeGroupsResponse::Group stable{.group_id = "cg-plant",
                                       .group_state = "Stable",
                                       .protocol_type = "consumer",
                                       .protocol_data = "range",
                                       .members = {m1, m2}};
  if (s.Has(Since(3))) stable.authorized_operations = 0x0ff8;
  DescribeGroupsResponse::Group missing{.error_code = 69,
                                        .group_id = "missing"};  // GROUP_ID_NOT_FOUND
  r.groups = {stable, missing};
  return r;
}

TEST(DescribeGroupsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<DescribeGroupsApi>(MakeRequest);
}

TEST(DescribeGroupsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<DescribeGroupsApi>(MakeResponse);
}

TEST(DescribeGroupsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<DescribeGroupsApi>(MakeRequest);
}

TEST(DescribeGroupsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<DescribeGroupsApi>(MakeResponse);
}

TEST(DescribeGroupsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<DescribeGroupsApi>(MakeRequest);
}

TEST(DescribeGroupsCodecTest, GoldenRequestV4Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x0f, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0d,        // DescribeGroups v4, correlation 13
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x00, 0x00, 0x01,                                // groups: 1
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // "cg-plant"
      0x00,                                                  // include_authorized_operations false
  });
  // clang-format on
  auto decoded = DecodeRequest<DescribeGroupsApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body.groups, std::vector<std::string>{"cg-plant"});
  EXPECT_FALSE(decoded->body.include_authorized_operations);

  auto again = EncodeRequest<DescribeGroupsApi>(decoded->header, decoded->body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

// Before v3 a group has no authorized_operations; decoding leaves the "omitted"
// marker.
TEST(DescribeGroupsCodecTest, AuthorizedOperationsAreOmittedBeforeVersion3) {
  auto frame = EncodeResponse<DescribeGroupsApi>(1, 2, MakeResponse({4, true}));
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  auto decoded = DecodeResponse<DescribeGroupsApi>(2, testing::Unframe(*frame));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->body.groups.size(), 2u);
  EXPECT_EQ(decoded->body.groups[0].authorized_operations, kAuthorizedOperationsOmitted);
  EXPECT_FALSE(decoded->body.groups[0].members.at(0).group_instance_id.has_value());
}

}  // namespace
}  // namespace millstream::net::kafka
