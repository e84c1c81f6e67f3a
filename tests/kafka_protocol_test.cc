// The broker's protocol behaviour at the byte level, with our own codec as the
// client: what is advertised, what bad input gets, idempotent producers.
#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/endian.h"
#include "net/kafka/protocol/alter_configs.h"
#include "net/kafka/protocol/api_versions.h"
#include "net/kafka/protocol/describe_configs.h"
#include "net/kafka/protocol/create_topics.h"
#include "net/kafka/protocol/delete_records.h"
#include "net/kafka/protocol/fetch.h"
#include "net/kafka/protocol/init_producer_id.h"
#include "net/kafka/protocol/list_offsets.h"
#include "net/kafka/protocol/produce.h"
#include "storage/batch_builder.h"
#include "storage/record_batch.h"
#include "tests/support/broker_process.h"
#include "tests/support/kafka_client.h"

namespace millstream {
namespace {

namespace kafka = net::kafka;
using testing::KafkaClient;

std::vector<std::byte> Batch(std::string value, int64_t pid = -1, int16_t epoch = -1, int32_t seq = -1) {
  storage::BatchBuilder b;
  b.Add("k", value, TimestampMs(1000));
  return b.Build(pid, epoch, seq);
}

// A raw frame: size, then a v1 request header, then `body`.
std::vector<std::byte> RawRequest(int16_t key, int16_t version, std::vector<std::byte> body = {}) {
  std::vector<std::byte> out(4 + 2 + 2 + 4 + 2 + body.size());
  StoreBigEndian<int32_t>(out.data(), static_cast<int32_t>(out.size() - 4));
  StoreBigEndian<int16_t>(out.data() + 4, key);
  StoreBigEndian<int16_t>(out.data() + 6, version);
  StoreBigEndian<int32_t>(out.data() + 8, 7);
  StoreBigEndian<int16_t>(out.data() + 12, -1);  // null client id
  for (size_t i = 0; i < body.size(); ++i) out[14 + i] = body[i];
  return out;
}

class ProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.Start()) << broker_.output();
    client_ = Connect();
  }
  std::unique_ptr<KafkaClient> Connect() {
    auto client = KafkaClient::Connect(broker_.bootstrap());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }
  kafka::ProduceResponse::Partition Produce(std::vector<std::byte> batch, std::string topic = "t") {
    auto response = testing::ProduceBatch(*client_, topic, batch);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? response->responses.at(0).partition_responses.at(0) : kafka::ProduceResponse::Partition{};
  }
  int64_t LatestOffset(std::string topic = "t") {
    kafka::ListOffsetsRequest request;
    request.topics.push_back({topic, {{PartitionId(0), -1, kafka::kLatestTimestamp, 1}}});
    auto response = client_->Call<kafka::ListOffsetsApi>(2, request);
    EXPECT_TRUE(response.ok());
    return response.ok() ? response->topics.at(0).partitions.at(0).offset.value() : -1;
  }
  kafka::InitProducerIdResponse InitProducer(int64_t id = -1, int16_t epoch = -1) {
    kafka::InitProducerIdRequest request;
    request.producer_id = id;
    request.producer_epoch = epoch;
    auto response = client_->Call<kafka::InitProducerIdApi>(4, request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : kafka::InitProducerIdResponse{};
  }

  testing::BrokerProcess broker_{{"--max-request-bytes", "1048576"}};
  std::unique_ptr<KafkaClient> client_;
};

TEST_F(ProtocolTest, ApiVersionsAdvertisesExactlyTheHandlers) {
  auto response = client_->Call<kafka::ApiVersionsApi>(3, {"librdkafka", "2.0.2"});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->error_code, 0);
  auto has = [&](kafka::ApiKey key, int16_t min, int16_t max) {
    for (const auto& v : response->api_keys) {
      if (v.api_key == static_cast<int16_t>(key)) return v.min_version == min && v.max_version == max;
    }
    return false;
  };
  EXPECT_TRUE(has(kafka::ApiKey::kProduce, 3, 8));
  EXPECT_TRUE(has(kafka::ApiKey::kFetch, 4, 11));
  EXPECT_TRUE(has(kafka::ApiKey::kInitProducerId, 0, 4));
  EXPECT_TRUE(has(kafka::ApiKey::kFindCoordinator, 0, 2));
  EXPECT_TRUE(has(kafka::ApiKey::kJoinGroup, 0, 5));
  EXPECT_TRUE(has(kafka::ApiKey::kOffsetFetch, 0, 7));
}

TEST_F(ProtocolTest, ApiVersionsAboveOursGetsTheV0LayoutWithUnsupportedVersion) {
  // v9 is a flexible version: header v2, whose tagged-field section is one 0 byte.
  ASSERT_TRUE(client_->SendRaw(RawRequest(18, 9, {std::byte{0}})).ok());
  auto frame = client_->ReadFrame();
  ASSERT_TRUE(frame.ok());
  auto response = kafka::DecodeResponse<kafka::ApiVersionsApi>(0, *frame);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->body.error_code, 35);
  EXPECT_FALSE(response->body.api_keys.empty());
}

TEST_F(ProtocolTest, AnUnknownApiKeyClosesTheConnection) {
  ASSERT_TRUE(client_->SendRaw(RawRequest(999, 0)).ok());
  EXPECT_TRUE(client_->ClosedByPeer(5000));
  EXPECT_NE(Connect(), nullptr);  // the broker itself goes on
}

TEST_F(ProtocolTest, AnUnsupportedVersionClosesTheConnection) {
  ASSERT_TRUE(client_->SendRaw(RawRequest(0, 2)).ok());  // Produce v2: legacy MessageSet
  EXPECT_TRUE(client_->ClosedByPeer(5000));
}

TEST_F(ProtocolTest, AnOversizedFrameClosesTheConnection) {
  std::vector<std::byte> frame(4);
  StoreBigEndian<int32_t>(frame.data(), 200 << 20);
  ASSERT_TRUE(client_->SendRaw(frame).ok());
  EXPECT_TRUE(client_->ClosedByPeer(5000));
  EXPECT_TRUE(broker_.WaitForLog("over the limit", 5000)) << broker_.output();
}

TEST_F(ProtocolTest, ATruncatedRequestBodyClosesTheConnection) {
  ASSERT_TRUE(client_->SendRaw(RawRequest(3, 4, {std::byte{0}, std::byte{0}})).ok());  // Metadata v4, cut
  EXPECT_TRUE(client_->ClosedByPeer(5000));
}

TEST_F(ProtocolTest, ACorruptBatchGetsCorruptMessageAndNothingIsAppended) {
  auto batch = Batch("x");
  batch.back() ^= std::byte{1};
  EXPECT_EQ(Produce(batch).error_code, 2);
  EXPECT_EQ(Produce(Batch("good")).base_offset, Offset(0));
}

TEST_F(ProtocolTest, ABatchOverMaxMessageBytesGetsMessageTooLarge) {
  kafka::CreateTopicsRequest create;
  create.topics.push_back({"small", 1, 1, {}, {{"max.message.bytes", "200"}}});
  auto created = client_->Call<kafka::CreateTopicsApi>(4, create);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->topics.at(0).error_code, 0);
  EXPECT_EQ(Produce(Batch(std::string(500, 'x')), "small").error_code, 10);
  EXPECT_EQ(Produce(Batch("fits"), "small").error_code, 0);
}

TEST_F(ProtocolTest, ALogAppendTimeTopicStampsTheBrokersClockOnEveryBatch) {
  kafka::CreateTopicsRequest create;
  create.topics.push_back({"stamped", 1, 1, {}, {{"message.timestamp.type", "LogAppendTime"}}});
  ASSERT_EQ(client_->Call<kafka::CreateTopicsApi>(4, create)->topics.at(0).error_code, 0);
  int64_t before = SystemClock::Instance().Now().value();
  kafka::ProduceResponse::Partition produced = Produce(Batch("late"), "stamped");  // record time 1000
  int64_t after = SystemClock::Instance().Now().value();
  ASSERT_EQ(produced.error_code, 0);
  EXPECT_GE(produced.log_append_time_ms.value(), before);
  EXPECT_LE(produced.log_append_time_ms.value(), after);
  EXPECT_EQ(Produce(Batch("create time")).log_append_time_ms.value(), -1);  // topic t: CreateTime

  kafka::FetchRequest request;
  request.max_wait_ms = 0;
  request.topics.push_back({"stamped", {{PartitionId(0), -1, Offset(0), Offset(-1), 1 << 20}}});
  auto fetched = client_->Call<kafka::FetchApi>(11, request);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ConstBytes records = fetched->responses.at(0).partitions.at(0).records.bytes();
  Result<storage::BatchHeader> batch = storage::ValidateBatch(records);  // the new CRC holds
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_TRUE(batch->is_log_append_time());
  EXPECT_EQ(batch->max_timestamp, produced.log_append_time_ms);
  // A search by time finds the batch by its append time, not by the producer's 1000.
  kafka::ListOffsetsRequest by_time;
  by_time.topics.push_back({"stamped", {{PartitionId(0), -1, TimestampMs(before), 1}}});
  auto found = client_->Call<kafka::ListOffsetsApi>(2, by_time);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->topics.at(0).partitions.at(0).offset, Offset(0));
  by_time.topics.at(0).partitions.at(0).timestamp = TimestampMs(after + 1);
  EXPECT_EQ(client_->Call<kafka::ListOffsetsApi>(2, by_time)->topics.at(0).partitions.at(0).offset,
            Offset(-1));
}

TEST_F(ProtocolTest, CreatingAnExistingTopicIsTopicAlreadyExists) {
  kafka::CreateTopicsRequest create;
  create.topics.push_back({"dup", 2, -1, {}, {}});
  ASSERT_EQ(client_->Call<kafka::CreateTopicsApi>(4, create)->topics.at(0).error_code, 0);
  EXPECT_EQ(client_->Call<kafka::CreateTopicsApi>(4, create)->topics.at(0).error_code, 36);
  create.topics[0] = {"bad topic", 1, 1, {}, {}};
  EXPECT_EQ(client_->Call<kafka::CreateTopicsApi>(4, create)->topics.at(0).error_code, 17);
}

TEST_F(ProtocolTest, TopicSettingsAreDescribedAlteredAndKeptAcrossARestart) {
  kafka::CreateTopicsRequest create;
  create.topics.push_back({"conf", 1, 1, {}, {{"retention.ms", "3600000"}}});
  ASSERT_EQ(client_->Call<kafka::CreateTopicsApi>(4, create)->topics.at(0).error_code, 0);
  auto describe = [this] {
    kafka::DescribeConfigsRequest request;
    request.resources.push_back({kafka::kResourceTypeTopic, "conf", std::nullopt});
    std::map<std::string, std::string> out;
    auto response = client_->Call<kafka::DescribeConfigsApi>(1, request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    if (response.ok()) {
      for (const auto& c : response->results.at(0).configs) out[c.name] = c.value.value_or("");
    }
    return out;
  };
  EXPECT_EQ(describe()["retention.ms"], "3600000");
  EXPECT_EQ(describe()["cleanup.policy"], "delete");
  kafka::AlterConfigsRequest alter;
  alter.resources.push_back({kafka::kResourceTypeTopic, "conf", {{"retention.bytes", "1000000"}}});
  ASSERT_EQ(client_->Call<kafka::AlterConfigsApi>(1, alter)->responses.at(0).error_code, 0);
  EXPECT_EQ(describe()["retention.bytes"], "1000000");
  EXPECT_EQ(describe()["retention.ms"], "604800000");  // not given: back to the default
  alter.resources[0].configs = {{"no.such.key", "1"}};
  EXPECT_EQ(client_->Call<kafka::AlterConfigsApi>(1, alter)->responses.at(0).error_code, 40);
  ASSERT_TRUE(broker_.Restart()) << broker_.output();
  client_ = Connect();
  EXPECT_EQ(describe()["retention.bytes"], "1000000");
}

TEST(ProtocolRetentionTest, RetentionDeletesOldSegmentsByItself) {
  testing::BrokerProcess broker({"--retention-check-ms", "50"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  auto client = KafkaClient::Connect(broker.bootstrap());
  ASSERT_TRUE(client.ok());
  kafka::CreateTopicsRequest create;
  create.topics.push_back({"short", 1, 1, {}, {{"segment.bytes", "16384"}, {"retention.bytes", "32768"}}});
  ASSERT_EQ((*client)->Call<kafka::CreateTopicsApi>(4, create)->topics.at(0).error_code, 0);
  for (int i = 0; i < 60; ++i) {
    kafka::ProduceRequest request;
    request.acks = -1;
    auto batch = Batch(std::string(2000, 'x'));
    request.topic_data.push_back({"short", {{PartitionId(0), kafka::BytesRef(batch)}}});
    ASSERT_EQ((*client)->Call<kafka::ProduceApi>(7, request)->responses.at(0).partition_responses.at(0).error_code, 0);
  }
  EXPECT_TRUE(broker.WaitForLog("retention deleted", 10000)) << broker.output();
  kafka::ListOffsetsRequest request;
  request.topics.push_back({"short", {{PartitionId(0), -1, kafka::kEarliestTimestamp, 1}}});
  EXPECT_GT((*client)->Call<kafka::ListOffsetsApi>(2, request)->topics.at(0).partitions.at(0).offset.value(), 0);
}

TEST_F(ProtocolTest, PipelinedProduceRequestsAppendInArrivalOrder) {
  kafka::CreateTopicsRequest create;
  create.topics.push_back({"two", 2, 1, {}, {}});
  ASSERT_EQ(client_->Call<kafka::CreateTopicsApi>(4, create)->topics.at(0).error_code, 0);
  // Request 1 writes partition 0 then 1 (waiting for durability); request 2 writes
  // partition 1 only. Sent back to back, request 1's batch must come first on 1.
  auto first0 = Batch("first-0"), first1 = Batch("first-1"), second1 = Batch("second-1");
  kafka::ProduceRequest one;
  one.acks = -1;
  one.topic_data.push_back({"two", {{PartitionId(0), kafka::BytesRef(first0)}, {PartitionId(1), kafka::BytesRef(first1)}}});
  kafka::ProduceRequest two;
  two.acks = -1;
  two.topic_data.push_back({"two", {{PartitionId(1), kafka::BytesRef(second1)}}});
  for (int round = 0; round < 20; ++round) {
    auto a = kafka::EncodeRequest<kafka::ProduceApi>({kafka::ApiKey::kProduce, 7, 100, std::nullopt}, one);
    auto b = kafka::EncodeRequest<kafka::ProduceApi>({kafka::ApiKey::kProduce, 7, 101, std::nullopt}, two);
    ASSERT_TRUE(client_->SendRaw(*a).ok() && client_->SendRaw(*b).ok());
    auto ra = kafka::DecodeResponse<kafka::ProduceApi>(7, *client_->ReadFrame());
    auto rb = kafka::DecodeResponse<kafka::ProduceApi>(7, *client_->ReadFrame());
    ASSERT_TRUE(ra.ok() && rb.ok());
    EXPECT_EQ(ra->correlation_id, 100);  // answers in request order too
    Offset one_on_1 = ra->body.responses[0].partition_responses[1].base_offset;
    Offset two_on_1 = rb->body.responses[0].partition_responses[0].base_offset;
    EXPECT_LT(one_on_1, two_on_1) << "round " << round;
  }
}

TEST_F(ProtocolTest, DeleteRecordsMovesTheLogStartDurably) {
  for (int i = 0; i < 5; ++i) Produce(Batch("r" + std::to_string(i)));
  auto delete_before = [this](int64_t offset) {
    kafka::DeleteRecordsRequest request;
    request.topics.push_back({"t", {{PartitionId(0), Offset(offset)}}});
    auto response = client_->Call<kafka::DeleteRecordsApi>(1, request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? response->topics.at(0).partitions.at(0) : kafka::DeleteRecordsResponse::Partition{};
  };
  EXPECT_EQ(delete_before(3).low_watermark, Offset(3));
  EXPECT_EQ(delete_before(9).error_code, 1);  // past the high watermark
  auto earliest = [this] {
    kafka::ListOffsetsRequest request;
    request.topics.push_back({"t", {{PartitionId(0), -1, kafka::kEarliestTimestamp, 1}}});
    return client_->Call<kafka::ListOffsetsApi>(2, request)->topics.at(0).partitions.at(0).offset;
  };
  EXPECT_EQ(earliest(), Offset(3));
  kafka::FetchRequest fetch;
  fetch.topics.push_back({"t", {{PartitionId(0), -1, Offset(1), Offset(-1), 1 << 20}}});
  EXPECT_EQ(client_->Call<kafka::FetchApi>(11, fetch)->responses.at(0).partitions.at(0).error_code, 1);
  broker_.Kill();
  ASSERT_TRUE(broker_.Start()) << broker_.output();
  client_ = Connect();
  EXPECT_EQ(earliest(), Offset(3));
}

TEST_F(ProtocolTest, FetchingPastTheEndIsOffsetOutOfRange) {
  Produce(Batch("one"));
  kafka::FetchRequest request;
  request.max_wait_ms = 0;
  request.topics.push_back({"t", {{PartitionId(0), -1, Offset(5), Offset(-1), 1 << 20}}});
  auto response = client_->Call<kafka::FetchApi>(11, request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->responses.at(0).partitions.at(0).error_code, 1);
}

TEST_F(ProtocolTest, AnIdempotentRetryIsAnsweredWithItsOriginalOffsets) {
  kafka::InitProducerIdResponse producer = InitProducer();
  ASSERT_EQ(producer.error_code, 0);
  EXPECT_EQ(Produce(Batch("a", producer.producer_id, 0, 0)).base_offset, Offset(0));
  EXPECT_EQ(Produce(Batch("b", producer.producer_id, 0, 1)).base_offset, Offset(1));
  // The first batch again, as after a lost response: its offset, nothing appended.
  kafka::ProduceResponse::Partition retry = Produce(Batch("a", producer.producer_id, 0, 0));
  EXPECT_EQ(retry.error_code, 0);
  EXPECT_EQ(retry.base_offset, Offset(0));
  EXPECT_EQ(LatestOffset(), 2);
  // A gap in the sequence.
  EXPECT_EQ(Produce(Batch("c", producer.producer_id, 0, 5)).error_code, 45);
  // A new epoch starts again at 0; the old epoch is fenced.
  kafka::InitProducerIdResponse bumped = InitProducer(producer.producer_id, 0);
  EXPECT_EQ(bumped.producer_epoch, 1);
  EXPECT_EQ(Produce(Batch("d", producer.producer_id, 1, 0)).base_offset, Offset(2));
  EXPECT_EQ(Produce(Batch("e", producer.producer_id, 0, 2)).error_code, 47);
}

TEST_F(ProtocolTest, ProducerStateAndIdsSurviveARestart) {
  kafka::InitProducerIdResponse producer = InitProducer();
  EXPECT_EQ(Produce(Batch("a", producer.producer_id, 0, 0)).base_offset, Offset(0));
  ASSERT_TRUE(broker_.Restart()) << broker_.output();
  client_ = Connect();
  kafka::ProduceResponse::Partition retry = Produce(Batch("a", producer.producer_id, 0, 0));
  EXPECT_EQ(retry.base_offset, Offset(0));
  EXPECT_EQ(LatestOffset(), 1);
  EXPECT_GT(InitProducer().producer_id, producer.producer_id);
  broker_.Kill();
  ASSERT_TRUE(broker_.Start()) << broker_.output();
  client_ = Connect();
  EXPECT_EQ(Produce(Batch("a", producer.producer_id, 0, 0)).base_offset, Offset(0));
  EXPECT_EQ(LatestOffset(), 1);
}

}  // namespace
}  // namespace millstream
