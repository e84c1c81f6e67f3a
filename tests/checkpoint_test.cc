// Named checkpoints on a real `millstream serve`: cuts taken while producers on
// many partitions (over both shards) append are prefixes of what was appended;
// checkpoints survive a restart and a damaged file is left out; a pinned
// checkpoint holds retention until it is released; the `checkpoint` verb.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/kafka/protocol/produce.h"
#include "storage/batch_builder.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka_client.h"

namespace millstream {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace kafka = net::kafka;

// One record a producer appended: where it went, and when its request was sent
// and its answer came, as the test saw them.
struct Appended {
  int32_t partition;
  int64_t offset;
  Clock::time_point sent;
  Clock::time_point acked;
};

class CheckpointTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    flags.insert(flags.end(), {"--shards", "2"});
    broker_ = std::make_unique<testing::BrokerProcess>(std::move(flags));
    ASSERT_TRUE(broker_->Start()) << broker_->output();
  }
  testing::HttpReply Send(const std::string& method, const std::string& path, const json& body = json::object()) {
    return testing::Http(broker_->http_port(), method, path, body.dump());
  }
  json Get(const std::string& path) {
    testing::HttpReply r = testing::Http(broker_->http_port(), "GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  void CreateTopic(const std::string& name, int partitions, const json& config = json::object()) {
    testing::HttpReply r = Send("POST", "/api/v1/topics", {{"name", name}, {"partitions", partitions}, {"config", config}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // Appends one record synchronously (acks=1); its offset, or -1.
  static int64_t ProduceOne(testing::KafkaClient& client, const std::string& topic, int32_t partition,
                            const std::string& value) {
    storage::BatchBuilder builder;
    builder.Add(std::nullopt, value, TimestampMs(1000));
    std::vector<std::byte> batch = builder.Build();
    kafka::ProduceRequest request;
    request.acks = 1;
    request.timeout_ms = 10000;
    request.topic_data.push_back({topic, {{PartitionId(partition), kafka::BytesRef(batch)}}});
    auto response = client.Call<kafka::ProduceApi>(7, request);
    if (!response.ok()) return -1;
    const auto& p = response->responses.at(0).partition_responses.at(0);
    return p.error_code == 0 ? p.base_offset.value() : -1;
  }

  std::unique_ptr<testing::BrokerProcess> broker_;
};

TEST_F(CheckpointTest, EveryCutIsAPrefixOfWhatConcurrentProducersAppended) {
  Start();
  constexpr int kPartitions = 8;
  CreateTopic("seq", kPartitions);
  std::atomic<int> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Appended> appended;
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&] {
      auto client = testing::KafkaClient::Connect(broker_->bootstrap());
      ASSERT_TRUE(client.ok());
      while (!stop) {
        int seq = next++;
        int32_t partition = seq % kPartitions;  // round robin over both shards
        Clock::time_point sent = Clock::now();
        int64_t offset = ProduceOne(**client, "seq", partition, std::to_string(seq));
        Clock::time_point acked = Clock::now();
        ASSERT_GE(offset, 0);
        std::lock_guard<std::mutex> lock(mu);
        appended.push_back({partition, offset, sent, acked});
      }
    });
  }
  struct Taken {
    json cut;
    Clock::time_point asked;
  };
  std::vector<Taken> taken;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 8; ++i) {
    Clock::time_point asked = Clock::now();
    testing::HttpReply r = Send("POST", "/api/v1/checkpoints", {{"name", "c" + std::to_string(i)}});
    ASSERT_EQ(r.status, 201) << r.body;
    taken.push_back({json::parse(r.body), asked});
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  stop = true;
  for (std::thread& t : producers) t.join();
  ASSERT_GT(appended.size(), 200u);

  for (const Taken& t : taken) {
    std::vector<int64_t> end(kPartitions, -1);
    for (const json& p : t.cut["partitions"]) end[p["partition"].get<int>()] = p["end_offset"].get<int64_t>();
    // Inside the cut: below its end. A prefix of the append order means no record
    // outside was acknowledged before a record inside was even sent.
    Clock::time_point last_inside_sent = Clock::time_point::min();
    Clock::time_point first_outside_acked = Clock::time_point::max();
    size_t inside = 0;
    for (const Appended& a : appended) {
      ASSERT_GE(end[a.partition], 0);
      if (a.offset < end[a.partition]) {
        ++inside;
        last_inside_sent = std::max(last_inside_sent, a.sent);
      } else {
        first_outside_acked = std::min(first_outside_acked, a.acked);
        EXPECT_GT(a.acked, t.asked) << "acknowledged before the checkpoint was asked for, yet outside its cut";
      }
    }
    EXPECT_LE(last_inside_sent, first_outside_acked) << t.cut["name"];
    EXPECT_GT(inside, 0u);
    EXPECT_LT(inside, appended.size());
  }
}

TEST_F(CheckpointTest, CheckpointsWithGroupOffsetsSurviveARestartAndADamagedFileIsLeftOut) {
  Start({"--group-initial-rebalance-delay-ms", "0"});
  CreateTopic("orders", 2);
  ASSERT_EQ(testing::Kcat({"-b", broker_->bootstrap(), "-P", "-t", "orders", "-p", "1"}, "a\nb\nc\n").exit_code, 0);
  testing::CommandResult grouped =
      testing::Kcat({"-b", broker_->bootstrap(), "-G", "mes", "-o", "beginning", "-e", "-q", "orders"});
  ASSERT_EQ(grouped.exit_code, 0) << grouped.out;
  testing::CommandResult created = testing::RunCommand(
      testing::MillstreamBinary(), {"checkpoint", "create", "month-end", "--note", "close of November", "--admin",
                                    "http://127.0.0.1:" + std::to_string(broker_->http_port())});
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_NE(created.out.find("created checkpoint month-end (2 partitions)"), std::string::npos) << created.out;
  ASSERT_EQ(Send("POST", "/api/v1/checkpoints", {{"name", "second"}, {"topics", {"orders"}}}).status, 201);
  EXPECT_EQ(Send("POST", "/api/v1/checkpoints", {{"name", "second"}}).status, 409);
  EXPECT_EQ(Send("POST", "/api/v1/checkpoints", {{"name", "x"}, {"topics", {"nope"}}}).status, 404);
  EXPECT_EQ(Send("POST", "/api/v1/checkpoints", {{"name", "bad name"}}).status, 400);

  json before = Get("/api/v1/checkpoints/month-end");
  EXPECT_EQ(before["note"], "close of November");
  EXPECT_EQ(before["partitions"][1]["end_offset"], 3);
  ASSERT_TRUE(broker_->Restart());
  json after = Get("/api/v1/checkpoints/month-end");
  EXPECT_EQ(after["partitions"], before["partitions"]);
  EXPECT_EQ(after["created_ms"], before["created_ms"]);
  EXPECT_EQ(after["group_offsets"], before["group_offsets"]);
  ASSERT_EQ(after["group_offsets"].size(), 1u) << after.dump();  // kcat -G committed partition 1 only
  EXPECT_EQ(after["group_offsets"][0]["group"], "mes");
  EXPECT_EQ(after["group_offsets"][0]["offset"], 3);

  // One flipped byte: the checksum fails, the file is left out, the broker serves.
  ASSERT_EQ(broker_->Stop(), 0);
  std::string path = broker_->data_dir() + "/checkpoints/second.ckpt";
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(20);
  file.put('#');
  file.close();
  ASSERT_TRUE(broker_->Start()) << broker_->output();
  EXPECT_NE(broker_->output().find("checkpoint file " + path + " is left out: Corruption"), std::string::npos);
  json list = Get("/api/v1/checkpoints");
  ASSERT_EQ(list["checkpoints"].size(), 1u);
  EXPECT_EQ(list["checkpoints"][0]["name"], "month-end");
  EXPECT_EQ(Send("DELETE", "/api/v1/checkpoints/month-end").status, 200);
  EXPECT_EQ(Send("DELETE", "/api/v1/checkpoints/month-end").status, 404);
}

TEST_F(CheckpointTest, APinnedCheckpointHoldsRetentionUntilReleased) {
  Start({"--retention-check-ms", "100"});
  // Small segments, and retention that would delete all but the active one.
  json config = {{"segment.bytes", "4096"}, {"retention.bytes", "0"}};
  CreateTopic("asn", 1, config);
  CreateTopic("other", 1, config);
  auto client = testing::KafkaClient::Connect(broker_->bootstrap());
  ASSERT_TRUE(client.ok());
  std::string value(900, 'x');
  for (int i = 0; i < 20; ++i) ASSERT_GE(ProduceOne(**client, "asn", 0, value), 0);
  ASSERT_EQ(Send("POST", "/api/v1/checkpoints", {{"name", "recall"}, {"topics", {"asn"}}, {"pin", true}}).status, 201);
  for (int i = 0; i < 40; ++i) {
    ASSERT_GE(ProduceOne(**client, "asn", 0, value), 0);
    ASSERT_GE(ProduceOne(**client, "other", 0, value), 0);
  }
  auto log_start = [&](const std::string& topic) {
    return Get("/api/v1/topics/" + topic)["partitions"][0]["log_start_offset"].get<int64_t>();
  };
  // Retention runs every 100 ms: the unpinned topic loses its old segments...
  for (int i = 0; i < 100 && log_start("other") <= 30; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GT(log_start("other"), 30);
  // ...the pinned one keeps every segment with records at or after the cut (20).
  EXPECT_LE(log_start("asn"), 20);
  EXPECT_GT(log_start("asn"), 0);  // before the cut, retention still applies
  json shown = Get("/api/v1/checkpoints/recall");
  EXPECT_GT(shown["pinned_bytes"].get<int64_t>(), 4096) << shown.dump();
  testing::MetricsPage page = testing::ParseMetrics(testing::Http(broker_->http_port(), "GET", "/metrics").body);
  EXPECT_GT(page.samples["millstream_log_pinned_bytes{topic=\"asn\",partition=\"0\"}"], 4096);

  ASSERT_EQ(Send("POST", "/api/v1/checkpoints/recall/release").status, 200);
  for (int i = 0; i < 100 && log_start("asn") <= 20; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GT(log_start("asn"), 20);
  EXPECT_EQ(Get("/api/v1/checkpoints/recall")["pinned"], false);
}

TEST_F(CheckpointTest, AScheduledCheckpointIsTakenByTheClock) {
  Start({"--checkpoint-schedule", "1s:tick-%H%M%S"});
  json list;
  for (int i = 0; i < 60; ++i) {
    list = Get("/api/v1/checkpoints");
    if (!list["checkpoints"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(list["checkpoints"].empty());
  EXPECT_EQ(list["checkpoints"][0]["name"].get<std::string>().rfind("tick-", 0), 0u);
  EXPECT_EQ(list["checkpoints"][0]["note"], "scheduled (tick-%H%M%S)");
}

TEST_F(CheckpointTest, GroupResetRewindsToACheckpointsCutOrToTheGroupsOffsetsRecordedInIt) {
  Start({"--group-initial-rebalance-delay-ms", "0"});
  CreateTopic("moves", 1);
  auto produce = [&](const std::string& lines) {
    ASSERT_EQ(testing::Kcat({"-b", broker_->bootstrap(), "-P", "-t", "moves", "-p", "0"}, lines).exit_code, 0);
  };
  auto consume = [&] {
    // auto.offset.reset, not -o beginning: kcat -G would start every run from -o.
    return testing::Kcat({"-b", broker_->bootstrap(), "-G", "wms", "-X", "auto.offset.reset=earliest", "-e", "-q",
                          "moves"})
        .out;
  };
  produce("a\nb\n");
  ASSERT_EQ(consume(), "a\nb\n");  // the group commits offset 2
  produce("c\n");
  ASSERT_EQ(Send("POST", "/api/v1/checkpoints", {{"name", "shift"}}).status, 201);  // cut 3, group at 2
  produce("d\n");
  ASSERT_EQ(consume(), "c\nd\n");  // the group is at 4 now
  std::string admin = "http://127.0.0.1:" + std::to_string(broker_->http_port());
  auto reset = [&](std::vector<std::string> more) {
    std::vector<std::string> args = {"group", "reset", "wms", "--to-checkpoint", "shift", "--admin", admin,
                                     "--bootstrap", broker_->bootstrap()};
    args.insert(args.end(), more.begin(), more.end());
    return testing::RunCommand(testing::MillstreamBinary(), args);
  };
  testing::CommandResult to_cut = reset({});
  ASSERT_EQ(to_cut.exit_code, 0) << to_cut.out;
  EXPECT_NE(to_cut.out.find("offset\tmoves\t0\t3"), std::string::npos) << to_cut.out;
  EXPECT_EQ(consume(), "d\n");
  testing::CommandResult to_group = reset({"--group-offsets"});
  ASSERT_EQ(to_group.exit_code, 0) << to_group.out;
  EXPECT_NE(to_group.out.find("offset\tmoves\t0\t2"), std::string::npos) << to_group.out;
  EXPECT_EQ(consume(), "c\nd\n");
  testing::CommandResult both = reset({"--group-offsets", "--to", "latest"});
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.out.find("excludes"), std::string::npos) << both.out;
}

}  // namespace
}  // namespace millstream
