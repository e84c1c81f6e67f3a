// Golden bytes: request frames captured from librdkafka 2.0.2 (tests/data/librdkafka/)
// decode with our codec to the values the client meant, and encode back to the
// very same bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "net/kafka/protocol/api_versions.h"
#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/delete_groups.h"
#include "net/kafka/protocol/describe_groups.h"
#include "net/kafka/protocol/fetch.h"
#include "net/kafka/protocol/find_coordinator.h"
#include "net/kafka/protocol/heartbeat.h"
#include "net/kafka/protocol/init_producer_id.h"
#include "net/kafka/protocol/join_group.h"
#include "net/kafka/protocol/leave_group.h"
#include "net/kafka/protocol/list_groups.h"
#include "net/kafka/protocol/list_offsets.h"
#include "net/kafka/protocol/metadata.h"
#include "net/kafka/protocol/offset_commit.h"
#include "net/kafka/protocol/offset_fetch.h"
#include "net/kafka/protocol/produce.h"
#include "net/kafka/protocol/sync_group.h"
#include "storage/record_batch.h"

namespace millstream {
namespace {

namespace kafka = net::kafka;

std::vector<std::byte> Load(const std::string& name) {
  std::ifstream in(std::string(MILLSTREAM_SOURCE_DIR) + "/tests/data/librdkafka/" + name, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(raw.empty()) << name;
  std::vector<std::byte> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) out[i] = static_cast<std::byte>(raw[i]);
  return out;
}

// Decodes `name` as Api, checks the re-encoding is byte-identical, returns the request.
template <typename Api>
typename Api::Request DecodeGolden(const std::string& name) {
  std::vector<std::byte> frame = Load(name);
  auto decoded = kafka::DecodeRequest<Api>(frame);
  EXPECT_TRUE(decoded.ok()) << name << ": " << decoded.status().ToString();
  if (!decoded.ok()) return {};
  auto encoded = kafka::EncodeRequest<Api>(decoded->header, decoded->body);
  EXPECT_TRUE(encoded.ok());
  // EncodeRequest adds the size prefix the capture does not hold.
  if (encoded.ok()) {
    EXPECT_EQ(std::vector<std::byte>(encoded->begin() + 4, encoded->end()), frame) << name;
  }
  return decoded->body;
}

TEST(LibrdkafkaGoldenTest, ApiVersionsV3) {
  auto request = DecodeGolden<kafka::ApiVersionsApi>("api_versions_v3.bin");
  EXPECT_EQ(request.client_software_name, "librdkafka");
  EXPECT_EQ(request.client_software_version, "2.0.2");
}

TEST(LibrdkafkaGoldenTest, MetadataV4) { DecodeGolden<kafka::MetadataApi>("metadata_v4.bin"); }

TEST(LibrdkafkaGoldenTest, InitProducerIdV4) {
  auto request = DecodeGolden<kafka::InitProducerIdApi>("init_producer_id_v4.bin");
  EXPECT_FALSE(request.transactional_id.has_value());
}

TEST(LibrdkafkaGoldenTest, ProduceV7CarriesAValidIdempotentBatch) {
  auto request = DecodeGolden<kafka::ProduceApi>("produce_v7.bin");
  ASSERT_EQ(request.topic_data.size(), 1u);
  EXPECT_EQ(request.acks, -1);
  EXPECT_EQ(request.topic_data[0].name, "golden");
  ConstBytes records = request.topic_data[0].partition_data.at(0).records.bytes();
  Result<storage::BatchHeader> batch = storage::ValidateBatch(records);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_GE(batch->producer_id, 0);
  EXPECT_EQ(batch->base_sequence, 0);
}

TEST(LibrdkafkaGoldenTest, ListOffsetsV2) {
  auto request = DecodeGolden<kafka::ListOffsetsApi>("list_offsets_v2.bin");
  EXPECT_EQ(request.topics.at(0).name, "golden");
}

TEST(LibrdkafkaGoldenTest, FetchV11) {
  auto request = DecodeGolden<kafka::FetchApi>("fetch_v11.bin");
  EXPECT_EQ(request.topics.at(0).topic, "golden");
  EXPECT_EQ(request.session_id, 0);
}

// The consumer-group requests of a kcat -G session and of the `millstream group`
// verbs (librdkafka's admin API), through capture.py.
TEST(LibrdkafkaGoldenTest, FindCoordinatorV2) {
  auto request = DecodeGolden<kafka::FindCoordinatorApi>("find_coordinator_v2.bin");
  EXPECT_EQ(request.key, "gold");
  EXPECT_EQ(request.key_type, kafka::kCoordinatorKeyTypeGroup);
}

TEST(LibrdkafkaGoldenTest, JoinGroupV5FirstWithoutThenWithItsMemberId) {
  auto first = DecodeGolden<kafka::JoinGroupApi>("join_group_v5_new_member.bin");
  EXPECT_EQ(first.group_id, "gold");
  EXPECT_TRUE(first.member_id.empty());
  EXPECT_EQ(first.protocol_type, "consumer");
  ASSERT_EQ(first.protocols.size(), 2u);
  EXPECT_EQ(first.protocols[0].name, "range");
  EXPECT_EQ(first.protocols[1].name, "roundrobin");
  auto second = DecodeGolden<kafka::JoinGroupApi>("join_group_v5.bin");
  EXPECT_EQ(second.member_id.rfind("rdkafka-", 0), 0u) << second.member_id;
}

TEST(LibrdkafkaGoldenTest, SyncGroupV3FromTheLeader) {
  auto request = DecodeGolden<kafka::SyncGroupApi>("sync_group_v3.bin");
  EXPECT_EQ(request.generation_id, 1);
  EXPECT_EQ(request.assignments.size(), 1u);
}

TEST(LibrdkafkaGoldenTest, HeartbeatV3) {
  auto request = DecodeGolden<kafka::HeartbeatApi>("heartbeat_v3.bin");
  EXPECT_EQ(request.generation_id, 1);
}

TEST(LibrdkafkaGoldenTest, OffsetFetchV7ForItsPartitions) {
  auto request = DecodeGolden<kafka::OffsetFetchApi>("offset_fetch_v7.bin");
  ASSERT_TRUE(request.topics.has_value());
  EXPECT_EQ(request.topics->at(0).name, "golden");
}

TEST(LibrdkafkaGoldenTest, OffsetCommitV7FromAMemberAndFromTheAdminApi) {
  auto member = DecodeGolden<kafka::OffsetCommitApi>("offset_commit_v7.bin");
  EXPECT_EQ(member.generation_id, 1);
  auto admin = DecodeGolden<kafka::OffsetCommitApi>("offset_commit_v7_admin.bin");
  EXPECT_EQ(admin.generation_id, -1);
  EXPECT_TRUE(admin.member_id.empty());
}

TEST(LibrdkafkaGoldenTest, LeaveGroupV1) {
  auto request = DecodeGolden<kafka::LeaveGroupApi>("leave_group_v1.bin");
  EXPECT_EQ(request.group_id, "gold");
}

TEST(LibrdkafkaGoldenTest, ListDescribeAndDeleteGroups) {
  DecodeGolden<kafka::ListGroupsApi>("list_groups_v2.bin");
  auto described = DecodeGolden<kafka::DescribeGroupsApi>("describe_groups_v4.bin");
  EXPECT_EQ(described.groups, (std::vector<std::string>{"gold"}));
  auto deleted = DecodeGolden<kafka::DeleteGroupsApi>("delete_groups_v1.bin");
  EXPECT_EQ(deleted.groups_names, (std::vector<std::string>{"gold"}));
}

// librdkafka 2.0.2's all-topics OffsetFetch (admin ListConsumerGroupOffsets)
// carries 3 stray zero bytes; the strict codec refuses it, the handler accepts
// exactly this shape (docs/protocol.md, known differences).
TEST(LibrdkafkaGoldenTest, OffsetFetchV7ForAllTopicsHasThreeStrayBytes) {
  std::vector<std::byte> frame = Load("offset_fetch_v7_all_topics.bin");
  auto strict = kafka::DecodeRequest<kafka::OffsetFetchApi>(frame);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("3 unexpected bytes"), std::string::npos);
  for (size_t i = frame.size() - 3; i < frame.size(); ++i) EXPECT_EQ(frame[i], std::byte{0});
  frame.resize(frame.size() - 3);
  auto trimmed = kafka::DecodeRequest<kafka::OffsetFetchApi>(frame);
  ASSERT_TRUE(trimmed.ok()) << trimmed.status().ToString();
  EXPECT_FALSE(trimmed->body.topics.has_value());
}

}  // namespace
}  // namespace millstream
