// Back-pressure on a real broker: the request memory budget holds under a flood
// of librdkafka producers while nothing acknowledged is lost and light clients
// are still served; quotas answer with throttle_time_ms, mute the connection for
// that long, and slow a real client down without errors.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/fetch.h"
#include "net/kafka/protocol/metadata.h"
#include "net/kafka/protocol/produce.h"
#include "storage/batch_builder.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka_client.h"

namespace millstream {
namespace {

namespace kafka = net::kafka;
using testing::KafkaClient;

double Sample(const testing::BrokerProcess& broker, const std::string& name) {
  testing::MetricsPage page = testing::ParseMetrics(testing::Http(broker.http_port(), "GET", "/metrics").body);
  return page.samples[name];
}

// A librdkafka producer that counts its delivery reports and the throttle times
// the broker answered.
class Producer {
 public:
  Producer(const std::string& bootstrap, const std::map<std::string, std::string>& settings) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[512];
    std::map<std::string, std::string> all = {{"bootstrap.servers", bootstrap}, {"acks", "all"}};
    for (const auto& [k, v] : settings) all[k] = v;
    for (const auto& [k, v] : all) {
      EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), error, sizeof(error)), RD_KAFKA_CONF_OK) << error;
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      auto* self = static_cast<Producer*>(opaque);
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++self->delivered_;
      } else {
        ++self->failed_;
      }
    });
    rd_kafka_conf_set_throttle_cb(conf, [](rd_kafka_t*, const char*, int32_t, int throttle_ms, void* opaque) {
      if (throttle_ms > 0) static_cast<Producer*>(opaque)->throttled_ms_ += throttle_ms;
    });
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
    EXPECT_NE(rk_, nullptr) << error;
  }
  ~Producer() { rd_kafka_destroy(rk_); }

  void Send(const std::string& topic, const std::string& value) {
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
                                                  RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
        return;
      }
      rd_kafka_poll(rk_, 10);  // the local queue is full: wait for deliveries
    }
  }
  bool Flush() { return rd_kafka_flush(rk_, 120000) == RD_KAFKA_RESP_ERR_NO_ERROR; }

  int delivered() const { return delivered_; }
  int failed() const { return failed_; }
  int throttled_ms() const { return throttled_ms_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::atomic<int> delivered_{0};
  std::atomic<int> failed_{0};
  std::atomic<int> throttled_ms_{0};
};

// The offsets kcat reads from partition 0 of `topic`, one per line.
std::string Offsets(const testing::BrokerProcess& broker, const std::string& topic) {
  return testing::Kcat({"-b", broker.bootstrap(), "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q",
                        "-f", "%o\n"})
      .out;
}

std::string Counting(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += std::to_string(i) + "\n";
  return out;
}

TEST(BackPressureTest, TheMemoryBudgetHoldsUnderAFloodOfProducersAndNothingAcknowledgedIsLost) {
  constexpr size_t kBudget = 1u << 20;  // one shard: all of it there
  testing::BrokerProcess broker({"--shards", "1", "--request-memory-budget", std::to_string(kBudget),
                                 "--default-partitions", "1"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  constexpr int kProducers = 6;
  constexpr int kRecords = 400;
  std::vector<std::unique_ptr<Producer>> producers;
  for (int i = 0; i < kProducers; ++i) {
    producers.push_back(std::make_unique<Producer>(
        broker.bootstrap(), std::map<std::string, std::string>{{"linger.ms", "20"}, {"batch.size", "1000000"}}));
  }
  std::atomic<bool> flooding{true};
  std::atomic<int> light_answers{0};
  // A light client (nothing in flight) is still read while the flood is paused.
  std::thread light([&] {
    auto client = KafkaClient::Connect(broker.bootstrap());
    ASSERT_TRUE(client.ok());
    while (flooding) {
      if ((*client)->Call<kafka::MetadataApi>(4, {}).ok()) ++light_answers;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::vector<std::thread> senders;
  for (int p = 0; p < kProducers; ++p) {
    senders.emplace_back([&, p] {
      for (int i = 0; i < kRecords; ++i) producers[p]->Send("asn", std::string(8000, static_cast<char>('a' + p)));
      EXPECT_TRUE(producers[p]->Flush());
    });
  }
  for (std::thread& t : senders) t.join();
  flooding = false;
  light.join();

  for (const auto& p : producers) {
    EXPECT_EQ(p->delivered(), kRecords);
    EXPECT_EQ(p->failed(), 0);
  }
  EXPECT_GT(light_answers, 0);
  // The flood really met the budget, and the shard never held more than the
  // budget and its reserve (no single request here is larger than that).
  EXPECT_GT(Sample(broker, "millstream_kafka_reads_paused_total{reason=\"memory\"}"), 0);
  double peak = Sample(broker, "millstream_request_memory_peak_bytes");
  EXPECT_GT(peak, 0);
  EXPECT_LE(peak, kBudget + kBudget / 8);
  EXPECT_EQ(Sample(broker, "millstream_request_memory_bytes"), 0);  // all given back
  EXPECT_EQ(Offsets(broker, "asn"), Counting(kProducers * kRecords));
}

TEST(BackPressureTest, AStalledConsumerHoldsNoMoreThanTheFetchBudgetAndProducersGoOn) {
  constexpr size_t kFetchBudget = 1u << 20;
  testing::BrokerProcess broker({"--shards", "1", "--fetch-memory-budget", std::to_string(kFetchBudget),
                                 "--default-partitions", "1"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  Producer producer(broker.bootstrap(), {{"linger.ms", "5"}});
  for (int i = 0; i < 200; ++i) producer.Send("shipments", std::string(5000, 's'));
  ASSERT_TRUE(producer.Flush());
  // A consumer that asks for a megabyte 400 times and never reads an answer: the
  // answers would be 50 MB, far more than the socket buffers take.
  auto stalled = KafkaClient::Connect(broker.bootstrap());
  ASSERT_TRUE(stalled.ok());
  kafka::FetchRequest request;
  request.max_wait_ms = 10000;  // those that find the budget spent wait for room
  request.topics.push_back({"shipments", {{PartitionId(0), -1, Offset(0), Offset(-1), 1 << 20}}});
  std::vector<std::byte> frames;
  for (int i = 0; i < 400; ++i) {
    kafka::RequestHeader header{kafka::ApiKey::kFetch, 11, i, std::string("stalled")};
    auto frame = kafka::EncodeRequest<kafka::FetchApi>(header, request);
    ASSERT_TRUE(frame.ok());
    frames.insert(frames.end(), frame->begin(), frame->end());
  }
  ASSERT_TRUE((*stalled)->SendRaw(frames).ok());
  double held = 0;
  for (int i = 0; i < 100 && held == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    held = Sample(broker, "millstream_fetch_memory_bytes");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it fill what it can
  held = Sample(broker, "millstream_fetch_memory_bytes");
  // It filled the budget (so the bound was met, not merely never reached) and
  // went no further.
  EXPECT_GE(held, kFetchBudget * 7 / 8);
  EXPECT_LE(held, kFetchBudget + kFetchBudget / 8);
  // Producers are not slowed into failure by it.
  Producer after(broker.bootstrap(), {});
  for (int i = 0; i < 10; ++i) after.Send("shipments", "after");
  ASSERT_TRUE(after.Flush());
  EXPECT_EQ(after.delivered(), 10);
  // Another consumer's fetch waits for room no longer than its max_wait_ms and is
  // answered empty, as at the end of a long poll.
  auto other = KafkaClient::Connect(broker.bootstrap());
  ASSERT_TRUE(other.ok());
  request.max_wait_ms = 200;
  auto answered = (*other)->Call<kafka::FetchApi>(11, request);
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_TRUE(answered->responses.empty());
  EXPECT_GE(Sample(broker, "millstream_fetch_out_of_memory_total"), 1);
  // The consumer goes: what its answers held comes back, and its waiting fetches
  // take no more.
  stalled->reset();
  for (int i = 0; i < 100 && Sample(broker, "millstream_fetch_memory_bytes") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Sample(broker, "millstream_fetch_memory_bytes"), 0) << broker.output();
}

class QuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.Start()) << broker_.output();
    auto client = KafkaClient::Connect(broker_.bootstrap());
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
  }
  kafka::ProduceResponse Produce(const std::string& topic, size_t value_bytes) {
    storage::BatchBuilder b;
    b.Add("k", std::string(value_bytes, 'x'), TimestampMs(1000));
    auto response = testing::ProduceBatch(*client_, topic, b.Build(-1, -1, -1));
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : kafka::ProduceResponse{};
  }

  // The test client's id is "millstream-test" (tests/support/kafka_client.h).
  testing::BrokerProcess broker_{{"--quota", "client:millstream-test:produce=10000", "--quota",
                                  "topic:audit:fetch=10000", "--default-partitions", "1"}};
  std::unique_ptr<KafkaClient> client_;
};

TEST_F(QuotaTest, AProduceOverItsQuotaIsAppendedAnsweredWithThrottleTimeAndMuted) {
  // 10,000 bytes a second, one second's worth saved up: 30,000 bytes owe about 2 s.
  kafka::ProduceResponse first = Produce("orders", 30000);
  ASSERT_EQ(first.responses.at(0).partition_responses.at(0).error_code, 0);
  EXPECT_EQ(first.responses[0].partition_responses[0].base_offset, Offset(0));
  EXPECT_GE(first.throttle_time_ms, 1900);
  EXPECT_LE(first.throttle_time_ms, 2200);
  // Nothing more is read from the connection until the throttle time passed.
  auto sent = std::chrono::steady_clock::now();
  kafka::ProduceResponse second = Produce("orders", 10);
  auto waited = std::chrono::steady_clock::now() - sent;
  EXPECT_GE(waited, std::chrono::milliseconds(first.throttle_time_ms - 100));
  EXPECT_EQ(second.responses.at(0).partition_responses.at(0).base_offset, Offset(1));
  EXPECT_GE(Sample(broker_, "millstream_quota_throttled_total{direction=\"produce\"}"), 1);
  EXPECT_GE(Sample(broker_, "millstream_kafka_reads_paused_total{reason=\"quota\"}"), 1);
}

TEST_F(QuotaTest, AFetchOverItsTopicQuotaCarriesItsRecordsAndThrottleTime) {
  Produce("audit", 30000);
  kafka::FetchRequest request;
  request.max_wait_ms = 0;
  request.topics.push_back({"audit", {{PartitionId(0), -1, Offset(0), Offset(-1), 1 << 20}}});
  auto fetched = client_->Call<kafka::FetchApi>(11, request);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_EQ(fetched->responses.size(), 1u);
  EXPECT_GT(fetched->responses[0].partitions.at(0).records.bytes().size(), 30000u);
  EXPECT_GE(fetched->throttle_time_ms, 1900);
  EXPECT_GE(Sample(broker_, "millstream_quota_throttled_total{direction=\"fetch\"}"), 1);
  // Another topic has no quota.
  Produce("orders", 100);
  request.topics[0].topic = "orders";
  fetched = client_->Call<kafka::FetchApi>(11, request);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->throttle_time_ms, 0);
}

TEST(QuotaClientTest, ALibrdkafkaProducerOverItsQuotaIsSlowedWithoutErrors) {
  testing::BrokerProcess broker({"--quota", "client:plant-erp:produce=100000", "--default-partitions", "1"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  Producer producer(broker.bootstrap(), {{"client.id", "plant-erp"}, {"linger.ms", "5"}});
  constexpr int kRecords = 60;
  for (int i = 0; i < kRecords; ++i) producer.Send("orders", std::string(5000, 'o'));  // 300 kB: ~2 s owed
  ASSERT_TRUE(producer.Flush());
  EXPECT_EQ(producer.delivered(), kRecords);
  EXPECT_EQ(producer.failed(), 0);
  EXPECT_GT(producer.throttled_ms(), 0);  // librdkafka was told, and reported it
  EXPECT_GT(Sample(broker, "millstream_quota_throttle_seconds_total{direction=\"produce\"}"), 0);
  EXPECT_EQ(Offsets(broker, "orders"), Counting(kRecords));
}

}  // namespace
}  // namespace millstream
