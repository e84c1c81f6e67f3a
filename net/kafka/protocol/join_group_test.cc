#include "net/kafka/protocol/join_group.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

// ConsumerProtocolSubscription v1 as librdkafka 2.0.2 writes it: version 1,
// topics ["orders"], empty user_data, empty owned_partitions.
// clang-format off
const std::vector<std::byte> kSubscription = Bytes({
    0x00, 0x01,                                  // version 1
    0x00, 0x00, 0x00, 0x01,                      // topics: 1
    0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',    // "orders"
    0x00, 0x00, 0x00, 0x00,                      // user_data: empty
    0x00, 0x00, 0x00, 0x00,                      // owned_partitions: none
});
// clang-format on

JoinGroupRequest MakeRequest(Shape s) {
  JoinGroupRequest r;
  r.group_id = "cg-plant";
  r.session_timeout_ms = 45000;
  if (s.Has(Since(1))) r.rebalance_timeout_ms = 300000;
  r.member_id = "rdkafka-7c1e";
  if (s.Has(Since(5))) r.group_instance_id = "plant-a";
  r.protocol_type = "consumer";
  r.protocols = {{"range", BytesRef(kSubscription)}, {"roundrobin", BytesRef(ConstBytes())}};
  return r;
}

JoinGroupResponse MakeResponse(Shape s) {
  JoinGroupResponse r;
  if (s.Has(Since(2))) r.throttle_time_ms = 3;
  r.generation_id = 4;
  r.protocol_name = "range";
  r.leader = "m-1";
  r.member_id = "m-1";
  JoinGroupResponse::Member leader{.member_id = "m-1", .metadata = BytesRef(kSubscription)};
  if (s.Has(Since(5))) leader.group_instance_id = "plant-a";
  JoinGroupResponse::Member follower{.member_id = "m-2"};  // empty metadata
  r.members = {leader, follower};
  return r;
}

TEST(JoinGroupCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<JoinGroupApi>(MakeRequest);
}

TEST(JoinGroupCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<JoinGroupApi>(MakeResponse);
}

TEST(JoinGroupCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<JoinGroupApi>(MakeRequest);
}

TEST(JoinGroupCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<JoinGroupApi>(MakeResponse);
}

TEST(JoinGroupCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<JoinGroupApi>(MakeRequest);
}

// librdkafka's first join at v5: empty member_id, no static membership
// (group_instance_id null), "range,roundrobin" with the same subscription.
TEST(JoinGroupCodecTest, GoldenFirstJoinRequestV5Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x0b, 0x00, 0x05, 0x00, 0x00, 0x00, 0x04,        // JoinGroup v5, correlation 4
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',         // client_id
      0x00, 0x08, 'c', 'g', '-', 'p', 'l', 'a', 'n', 't',    // group_id "cg-plant"
      0x00, 0x00, 0xaf, 0xc8,                                // session_timeout_ms 45000
      0x00, 0x04, 0x93, 0xe0,                                // rebalance_timeout_ms 300000
      0x00, 0x00,                                            // member_id ""
      0xff, 0xff,                                            // group_instance_id null
      0x00, 0x08, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',    // protocol_type "consumer"
      0x00, 0x00, 0x00, 0x02,                                // protocols: 2
      0x00, 0x05, 'r', 'a', 'n', 'g', 'e',                   // name "range"
      0x00, 0x00, 0x00, 0x16,                                // metadata: 22 bytes
      0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x0a, 'r', 'o', 'u', 'n', 'd', 'r', 'o', 'b', 'i', 'n',  // "roundrobin"
      0x00, 0x00, 0x00, 0x16,                                // metadata: 22 bytes
      0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's',
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  });
  // clang-format on
  auto decoded = DecodeRequest<JoinGroupApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const JoinGroupRequest& r = decoded->body;
  EXPECT_EQ(r.group_id, "cg-plant");
  EXPECT_EQ(r.session_timeout_ms, 45000);
  EXPECT_EQ(r.rebalance_timeout_ms, 300000);
  EXPECT_EQ(r.member_id, "");
  EXPECT_FALSE(r.group_instance_id.has_value());
  EXPECT_EQ(r.protocol_type, "consumer");
  ASSERT_EQ(r.protocols.size(), 2u);
  EXPECT_EQ(r.protocols[0].name, "range");
  EXPECT_EQ(r.protocols[1].name, "roundrobin");
  EXPECT_EQ(r.protocols[0].metadata, BytesRef(kSubscription));
  EXPECT_EQ(r.protocols[1].metadata, BytesRef(kSubscription));

  auto again = EncodeRequest<JoinGroupApi>(decoded->header, r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::vector<std::byte>(again->begin() + 4, again->end()), frame);
}

TEST(JoinGroupCodecTest, NullProtocolMetadataIsRejected) {
  JoinGroupRequest r = MakeRequest({5});
  r.protocols[0].metadata = BytesRef();
  auto frame = EncodeRequest<JoinGroupApi>(testing::HeaderAt<JoinGroupApi>(5), r);
  ASSERT_FALSE(frame.ok());
  EXPECT_NE(frame.status().message().find("'protocols[0].metadata'"), std::string::npos)
      << frame.status().ToString();
}

}  // namespace
}  // namespace millstream::net::kafka
