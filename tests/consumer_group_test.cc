// Consumer groups as librdkafka's high-level consumer (and kcat -G) use them,
// against the real broker on an ephemeral loopback port: assignment across
// members, take-over after a leave or a silent death, committed offsets across a
// broker restart, independent groups on one topic.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"

namespace millstream {
namespace {

using Clock = std::chrono::steady_clock;

struct Record {
  int32_t partition;
  int64_t offset;
  std::string value;
};

// A librdkafka configuration from key/value pairs; fails the test on a bad one.
rd_kafka_conf_t* Config(const std::map<std::string, std::string>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)), RD_KAFKA_CONF_OK)
        << key << ": " << error;
  }
  return conf;
}

// One member of a consumer group: librdkafka's high-level consumer subscribed to
// one topic. Not thread-safe; the test polls it from its own thread.
class Member {
 public:
  Member(const std::string& bootstrap, const std::string& group, const std::string& topic) {
    rd_kafka_conf_t* conf = Config({{"bootstrap.servers", bootstrap},
                                    {"group.id", group},
                                    {"auto.offset.reset", "earliest"},
                                    {"enable.auto.commit", "false"},
                                    {"session.timeout.ms", "3000"},
                                    {"heartbeat.interval.ms", "300"},
                                    {"log_level", "3"}});
    char error[512];
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
    EXPECT_NE(rk_, nullptr) << error;
    rd_kafka_poll_set_consumer(rk_);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    EXPECT_EQ(rd_kafka_subscribe(rk_, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(topics);
  }
  ~Member() {
    if (rk_ != nullptr) Close();
  }

  // Polls once; the records read go to records().
  void Poll(int timeout_ms) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, timeout_ms);
    if (m == nullptr) return;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      records_.push_back({m->partition, m->offset, std::string(static_cast<const char*>(m->payload), m->len)});
    }
    rd_kafka_message_destroy(m);
  }
  std::set<int32_t> Assignment() {
    rd_kafka_topic_partition_list_t* list = nullptr;
    std::set<int32_t> out;
    if (rd_kafka_assignment(rk_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) out.insert(list->elems[i].partition);
      rd_kafka_topic_partition_list_destroy(list);
    }
    return out;
  }
  // Commits the positions of what was read so far, synchronously.
  rd_kafka_resp_err_t Commit() { return rd_kafka_commit(rk_, nullptr, /*async=*/0); }
  // Leaves the group (LeaveGroup) and destroys the client.
  void Close() {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
  }
  // Destroys the client without leaving: the group hears nothing more from it.
  void Kill() {
    rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    rk_ = nullptr;
  }
  const std::vector<Record>& records() const { return records_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::vector<Record> records_;
};

class ConsumerGroupTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.Start()) << broker_.output(); }

  // Produces `count` records "v<i>" to partition i % partitions, acks=all.
  void Produce(const std::string& topic, int partitions, int first, int count) {
    char error[512];
    rd_kafka_t* producer = rd_kafka_new(
        RD_KAFKA_PRODUCER, Config({{"bootstrap.servers", broker_.bootstrap()}, {"acks", "all"}}), error,
        sizeof(error));
    ASSERT_NE(producer, nullptr) << error;
    for (int i = first; i < first + count; ++i) {
      std::string value = "v" + std::to_string(i);
      ASSERT_EQ(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                  RD_KAFKA_V_PARTITION(i % partitions),
                                  RD_KAFKA_V_VALUE(value.data(), value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    EXPECT_EQ(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(producer);
  }
  void CreateTopic(const std::string& name, int partitions) {
    testing::CommandResult r = testing::RunCommand(
        testing::MillstreamBinary(),
        {"topic", "create", name, "--partitions", std::to_string(partitions), "--bootstrap", broker_.bootstrap()});
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  // Polls every member until `done()` or `seconds` pass; false on the timeout.
  bool PollUntil(const std::vector<Member*>& members, const std::function<bool()>& done, int seconds) {
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
      if (Clock::now() > deadline) return false;
      for (Member* m : members) m->Poll(20);
    }
    return true;
  }
  static std::set<int32_t> Union(const std::vector<Member*>& members) {
    std::set<int32_t> all;
    for (Member* m : members) {
      std::set<int32_t> mine = m->Assignment();
      all.insert(mine.begin(), mine.end());
    }
    return all;
  }
  static size_t TotalRecords(const std::vector<Member*>& members) {
    size_t n = 0;
    for (Member* m : members) n += m->records().size();
    return n;
  }

  testing::CommandResult Cli(std::vector<std::string> args) {
    args.push_back("--bootstrap");
    args.push_back(broker_.bootstrap());
    return testing::RunCommand(testing::MillstreamBinary(), args);
  }
  static std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(prefix, 0) == 0) out.push_back(line);
    }
    return out;
  }

  // Members starting together land in one generation after this delay.
  testing::BrokerProcess broker_{{"--group-initial-rebalance-delay-ms", "1500",
                                  "--group-min-session-timeout-ms", "1000"}};
};

std::set<int32_t> AllPartitions(int n) {
  std::set<int32_t> out;
  for (int i = 0; i < n; ++i) out.insert(i);
  return out;
}

TEST_F(ConsumerGroupTest, ThreeMembersShareTwelvePartitionsAndReadEveryRecordOnce) {
  CreateTopic("orders", 12);
  Produce("orders", 12, 0, 1200);
  Member a(broker_.bootstrap(), "wms", "orders");
  Member b(broker_.bootstrap(), "wms", "orders");
  Member c(broker_.bootstrap(), "wms", "orders");
  std::vector<Member*> members = {&a, &b, &c};
  ASSERT_TRUE(PollUntil(members, [&] { return TotalRecords(members) >= 1200; }, 60))
      << TotalRecords(members) << " records read";
  std::set<int32_t> seen;
  size_t total = 0;
  for (Member* m : members) {
    std::set<int32_t> mine = m->Assignment();
    EXPECT_EQ(mine.size(), 4u);  // range over 12 partitions and 3 members
    for (int32_t p : mine) EXPECT_TRUE(seen.insert(p).second) << "partition " << p << " assigned twice";
    for (const Record& r : m->records()) EXPECT_TRUE(mine.count(r.partition)) << "read outside its assignment";
    total += m->records().size();
  }
  EXPECT_EQ(seen, AllPartitions(12));
  std::set<std::string> values;
  for (Member* m : members) {
    for (const Record& r : m->records()) values.insert(r.value);
  }
  EXPECT_EQ(values.size(), 1200u);  // every record once: no value twice, none missing
  EXPECT_EQ(total, 1200u);
}

TEST_F(ConsumerGroupTest, AMemberThatLeavesHandsItsPartitionsToTheOthers) {
  CreateTopic("receipts", 12);
  Member a(broker_.bootstrap(), "scorecard", "receipts");
  Member b(broker_.bootstrap(), "scorecard", "receipts");
  Member c(broker_.bootstrap(), "scorecard", "receipts");
  std::vector<Member*> all = {&a, &b, &c};
  ASSERT_TRUE(PollUntil(all, [&] {
    return a.Assignment().size() == 4 && b.Assignment().size() == 4 && c.Assignment().size() == 4;
  }, 30));
  c.Close();
  std::vector<Member*> rest = {&a, &b};
  ASSERT_TRUE(PollUntil(rest, [&] {
    return a.Assignment().size() == 6 && b.Assignment().size() == 6 && Union(rest) == AllPartitions(12);
  }, 30)) << a.Assignment().size() << " + " << b.Assignment().size();
}

TEST_F(ConsumerGroupTest, AMemberKilledWithoutLeavingIsReplacedAfterItsSessionTimeout) {
  CreateTopic("downtime", 12);
  Member a(broker_.bootstrap(), "mes", "downtime");
  Member b(broker_.bootstrap(), "mes", "downtime");
  std::vector<Member*> both = {&a, &b};
  ASSERT_TRUE(PollUntil(both, [&] { return a.Assignment().size() == 6 && b.Assignment().size() == 6; }, 30));
  b.Kill();
  std::vector<Member*> left = {&a};
  // The session timeout is 3 s; the broker then removes b and a rejoins alone.
  ASSERT_TRUE(PollUntil(left, [&] { return a.Assignment() == AllPartitions(12); }, 30));
  EXPECT_TRUE(broker_.WaitForLog("sent no heartbeat within its session timeout", 1000));
}

TEST_F(ConsumerGroupTest, CommittedOffsetsSurviveABrokerRestart) {
  CreateTopic("asn", 2);
  Produce("asn", 2, 0, 200);
  std::set<std::string> first_half;
  {
    Member m(broker_.bootstrap(), "tms", "asn");
    std::vector<Member*> one = {&m};
    ASSERT_TRUE(PollUntil(one, [&] { return m.records().size() >= 100; }, 30));
    ASSERT_EQ(m.Commit(), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (const Record& r : m.records()) first_half.insert(r.value);
  }
  ASSERT_TRUE(broker_.Restart()) << broker_.output();
  Produce("asn", 2, 200, 20);
  Member again(broker_.bootstrap(), "tms", "asn");
  std::vector<Member*> one = {&again};
  size_t want = 220 - first_half.size();
  ASSERT_TRUE(PollUntil(one, [&] { return again.records().size() >= want; }, 30))
      << again.records().size() << " of " << want;
  for (int i = 0; i < 20; ++i) again.Poll(20);  // anything read twice would show up now
  std::set<std::string> second_half;
  for (const Record& r : again.records()) {
    EXPECT_EQ(first_half.count(r.value), 0u) << r.value << " was committed and read again";
    EXPECT_TRUE(second_half.insert(r.value).second) << r.value << " read twice";
  }
  EXPECT_EQ(first_half.size() + second_half.size(), 220u);  // nothing skipped
}

TEST_F(ConsumerGroupTest, KcatGroupsOnOneTopicProgressIndependently) {
  CreateTopic("shipments", 3);
  Produce("shipments", 3, 0, 30);
  auto consume = [this](const std::string& group) {
    testing::CommandResult r = testing::Kcat({"-b", broker_.bootstrap(), "-G", group, "-q", "-e", "-X",
                                              "auto.offset.reset=earliest", "-f", "%s\n", "shipments"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::istringstream in(r.out);
    std::set<std::string> values;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] == 'v') values.insert(line);
    }
    return values;
  };
  EXPECT_EQ(consume("erp").size(), 30u);
  EXPECT_EQ(consume("portal").size(), 30u);
  Produce("shipments", 3, 30, 6);
  EXPECT_EQ(consume("erp").size(), 6u);  // only what came after its commits
  EXPECT_EQ(consume("portal").size(), 6u);
}

TEST_F(ConsumerGroupTest, GroupDescribeShowsTheMemberItsPartitionsAndTheLag) {
  CreateTopic("moves", 3);
  Produce("moves", 3, 0, 30);
  Member m(broker_.bootstrap(), "wms", "moves");
  std::vector<Member*> one = {&m};
  ASSERT_TRUE(PollUntil(one, [&] { return m.records().size() >= 30; }, 30));
  ASSERT_EQ(m.Commit(), RD_KAFKA_RESP_ERR_NO_ERROR);
  Produce("moves", 3, 30, 6);  // 2 more per partition: lag 2 each
  testing::CommandResult r = Cli({"group", "describe", "wms"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> group = LinesStartingWith(r.out, "group\t");
  ASSERT_EQ(group.size(), 1u) << r.out;
  EXPECT_EQ(group[0].rfind("group\twms\tStable\t", 0), 0u) << group[0];
  std::vector<std::string> members = LinesStartingWith(r.out, "member\t");
  ASSERT_EQ(members.size(), 1u) << r.out;
  EXPECT_NE(members[0].find("moves:0,moves:1,moves:2"), std::string::npos) << members[0];
  std::vector<std::string> offsets = LinesStartingWith(r.out, "offset\t");
  ASSERT_EQ(offsets.size(), 3u) << r.out;
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(offsets[p].rfind("offset\tmoves\t" + std::to_string(p) + "\t10\t12\t2\t", 0), 0u) << offsets[p];
  }
  EXPECT_EQ(LinesStartingWith(Cli({"group", "list"}).out, "wms\tStable\t1").size(), 1u);
}

TEST_F(ConsumerGroupTest, LagInMetricsAndTheAdminApiMatchesWhatTheGroupConsumed) {
  CreateTopic("downtime", 2);
  Produce("downtime", 2, 0, 20);
  Member m(broker_.bootstrap(), "mes", "downtime");
  std::vector<Member*> one = {&m};
  ASSERT_TRUE(PollUntil(one, [&] { return m.records().size() >= 20; }, 30));
  ASSERT_EQ(m.Commit(), RD_KAFKA_RESP_ERR_NO_ERROR);
  Produce("downtime", 2, 20, 6);  // read by nobody: 3 behind on each partition

  testing::HttpReply api = testing::Http(broker_.http_port(), "GET", "/api/v1/groups/mes");
  ASSERT_EQ(api.status, 200) << api.body;
  nlohmann::json group = nlohmann::json::parse(api.body);
  EXPECT_EQ(group["state"], "Stable");
  EXPECT_EQ(group["members"].size(), 1u);
  EXPECT_EQ(group["total_lag"], 6);
  ASSERT_EQ(group["offsets"].size(), 2u);
  testing::MetricsPage page = testing::ParseMetrics(testing::Http(broker_.http_port(), "GET", "/metrics").body);
  ASSERT_EQ(page.error, "");
  for (int p = 0; p < 2; ++p) {
    EXPECT_EQ(group["offsets"][p]["committed_offset"], 10);
    EXPECT_EQ(group["offsets"][p]["lag"], 3);
    std::string series = "{group=\"mes\",topic=\"downtime\",partition=\"" + std::to_string(p) + "\"}";
    EXPECT_EQ(page.samples["millstream_consumer_group_lag" + series], 3) << series;
    EXPECT_EQ(page.samples["millstream_consumer_group_committed_offset" + series], 10) << series;
  }
  nlohmann::json groups = nlohmann::json::parse(testing::Http(broker_.http_port(), "GET", "/api/v1/groups").body);
  ASSERT_EQ(groups["groups"].size(), 1u);
  EXPECT_EQ(groups["groups"][0]["group_id"], "mes");
}

TEST_F(ConsumerGroupTest, ResetIsRefusedWithMembersAndThenRewindsToATimestamp) {
  CreateTopic("releases", 1);
  Produce("releases", 1, 0, 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int64_t between = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Produce("releases", 1, 10, 10);
  {
    Member m(broker_.bootstrap(), "mes", "releases");
    std::vector<Member*> one = {&m};
    ASSERT_TRUE(PollUntil(one, [&] { return m.records().size() >= 20; }, 30));
    ASSERT_EQ(m.Commit(), RD_KAFKA_RESP_ERR_NO_ERROR);
    testing::CommandResult refused = Cli({"group", "reset", "mes", "--to", "earliest"});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_NE(refused.out.find("has 1 active members"), std::string::npos) << refused.out;
    testing::CommandResult busy = Cli({"group", "delete", "mes"});
    EXPECT_EQ(busy.exit_code, 1) << busy.out;
  }
  testing::CommandResult reset = Cli({"group", "reset", "mes", "--to", "@" + std::to_string(between)});
  ASSERT_EQ(reset.exit_code, 0) << reset.out;
  EXPECT_EQ(LinesStartingWith(reset.out, "offset\treleases\t0\t10").size(), 1u) << reset.out;
  Member again(broker_.bootstrap(), "mes", "releases");
  std::vector<Member*> one = {&again};
  ASSERT_TRUE(PollUntil(one, [&] { return again.records().size() >= 10; }, 30));
  for (int i = 0; i < 10; ++i) again.Poll(20);
  ASSERT_EQ(again.records().size(), 10u);
  EXPECT_EQ(again.records().front().value, "v10");  // from the first record after the time
  again.Close();
  testing::CommandResult deleted = Cli({"group", "delete", "mes"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.out;
  EXPECT_EQ(Cli({"group", "describe", "mes"}).exit_code, 1);
}

// A JoinGroup parked in a join phase must not hold the broker's stop: the
// coordinator answers it NOT_COORDINATOR first. (Without that the listener would
// wait 30 s for the connection; the bound below is a liveness check, not a speed
// figure.)
TEST(ConsumerGroupShutdownTest, AJoinWaitingForARebalanceDoesNotHoldTheStop) {
  testing::BrokerProcess broker({"--group-initial-rebalance-delay-ms", "120000"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  Member parked(broker.bootstrap(), "slow", "parked-topic");
  for (int i = 0; i < 100; ++i) parked.Poll(20);  // joins, then waits out the 120 s delay
  EXPECT_TRUE(parked.Assignment().empty());
  auto begin = Clock::now();
  EXPECT_EQ(broker.Stop(), 0) << broker.output();
  EXPECT_LT(Clock::now() - begin, std::chrono::seconds(20));
  EXPECT_NE(broker.output().find("stopped cleanly"), std::string::npos) << broker.output();
  parked.Kill();  // no LeaveGroup to a broker that is gone
}

// Not a speed test: the benchmark's steps all complete and report their fields.
TEST_F(ConsumerGroupTest, BenchGroupMeasuresRebalancesAndDurableCommits) {
  testing::CommandResult r = Cli({"bench", "group", "--partitions", "4", "--members", "2", "--duration", "0.5",
                                  "--json", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> json = LinesStartingWith(r.out, "{");
  ASSERT_EQ(json.size(), 1u) << r.out;
  for (const char* field : {"\"join_to_all_consumed_ms\"", "\"leave_to_all_consumed_ms\"", "\"commits_per_s\""}) {
    EXPECT_NE(json[0].find(field), std::string::npos) << json[0];
  }
  EXPECT_EQ(json[0].find("\"commits\":0,"), std::string::npos) << json[0];
}

}  // namespace
}  // namespace millstream
