// The client verbs of the `millstream` executable (topic, produce, consume, bench)
// against a real `millstream serve` on an ephemeral loopback port. Topic
// auto-creation is off, so a verb that created a topic by asking about it would
// show up here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/support/broker_process.h"

namespace millstream {
namespace {

using testing::BrokerProcess;
using testing::CommandResult;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& wanted) {
  for (const std::string& line : Lines(text)) {
    if (line == wanted) return true;
  }
  return false;
}

// The JSON objects among the output lines (stderr is interleaved with stdout).
std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (const std::string& line : Lines(text)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      out.push_back(std::move(j));
    } else {
      ADD_FAILURE() << "not a JSON object: " << line;
    }
  }
  return out;
}

// `consume --format text` output without the stderr lines of the verb.
std::vector<std::string> Values(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(text)) {
    if (line.rfind("consumed ", 0) != 0 && line.rfind("rdkafka:", 0) != 0) out.push_back(line);
  }
  return out;
}

std::string KeyedLines(int first, int count) {
  std::string out;
  for (int i = first; i < first + count; ++i) {
    out += "key-" + std::to_string(i) + ":value-" + std::to_string(i) + "\n";
  }
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.Start()) << broker_.output(); }

  // `millstream args... --bootstrap BROKER`.
  CommandResult Run(std::vector<std::string> args) {
    args.push_back("--bootstrap");
    args.push_back(broker_.bootstrap());
    return testing::RunCommand(testing::MillstreamBinary(), args);
  }

  // The same with `input` on stdin, handed over through a file.
  CommandResult RunWithInput(std::vector<std::string> args, const std::string& input) {
    char path[] = "/tmp/millstream-cli-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return {};
    close(fd);
    std::ofstream(path, std::ios::binary) << input;
    std::vector<std::string> shell = {"-c", std::string("exec \"$0\" \"$@\" < ") + path,
                                      testing::MillstreamBinary()};
    shell.insert(shell.end(), args.begin(), args.end());
    shell.push_back("--bootstrap");
    shell.push_back(broker_.bootstrap());
    CommandResult r = testing::RunCommand("/bin/sh", shell);
    std::remove(path);
    return r;
  }

  void CreateTopic(const std::string& name, int partitions) {
    CommandResult r = Run({"topic", "create", name, "--partitions", std::to_string(partitions)});
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }

  void Produce(const std::string& topic, const std::string& input,
               std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"produce", "--topic", topic};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = RunWithInput(args, input);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }

  std::vector<nlohmann::json> ConsumeJson(const std::string& topic, const std::string& from,
                                          std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"consume", "--topic",  topic, "--from",
                                     from,      "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return JsonLines(r.out);
  }

  BrokerProcess broker_{{"--shards", "2", "--auto-create-topics", "false"}};
};

TEST_F(CliTest, TopicCreateListDescribeDeleteRoundTrip) {
  CommandResult created =
      Run({"topic", "create", "orders", "--partitions", "3", "--config", "retention.ms=60000"});
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_TRUE(HasLine(created.out, "created topic orders (3 partitions)")) << created.out;
  CreateTopic("alarms", 1);

  CommandResult listed = Run({"topic", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_EQ(Lines(listed.out), (std::vector<std::string>{"alarms\t1", "orders\t3"}));

  Produce("orders", "a\nb\n", {"--partition", "2"});
  CommandResult described = Run({"topic", "describe", "orders"});
  ASSERT_EQ(described.exit_code, 0) << described.out;
  EXPECT_TRUE(HasLine(described.out, "topic\torders\t3")) << described.out;
  EXPECT_TRUE(HasLine(described.out, "partition\t0\t0\t0")) << described.out;
  EXPECT_TRUE(HasLine(described.out, "partition\t1\t0\t0")) << described.out;
  EXPECT_TRUE(HasLine(described.out, "partition\t2\t0\t2")) << described.out;
  // The configs, or the note that the broker cannot describe them.
  EXPECT_TRUE(HasLine(described.out, "config\tretention.ms\t60000") ||
              described.out.find("note: configs not shown") != std::string::npos)
      << described.out;

  CommandResult deleted = Run({"topic", "delete", "orders"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.out;
  EXPECT_TRUE(HasLine(deleted.out, "deleted topic orders")) << deleted.out;
  EXPECT_EQ(Lines(Run({"topic", "list"}).out), (std::vector<std::string>{"alarms\t1"}));
}

TEST_F(CliTest, CreatingAnExistingTopicFailsWithTheBrokersMessage) {
  CreateTopic("orders", 1);
  CommandResult again = Run({"topic", "create", "orders", "--partitions", "2"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.out.find("topic create: orders: "), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("already exists"), std::string::npos) << again.out;
}

TEST_F(CliTest, KeyedLinesWithAHeaderRoundTripAsJson) {
  CreateTopic("keyed", 1);
  CommandResult produced = RunWithInput({"produce", "--topic", "keyed", "--key-separator", ":",
                                         "--header", "plant=north", "--acks", "all"},
                                        KeyedLines(0, 100));
  ASSERT_EQ(produced.exit_code, 0) << produced.out;
  EXPECT_TRUE(HasLine(produced.out, "produced 100 records")) << produced.out;

  std::vector<nlohmann::json> records = ConsumeJson("keyed", "earliest");
  ASSERT_EQ(records.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    nlohmann::json r = records[i];
    EXPECT_EQ(r["topic"], "keyed");
    EXPECT_EQ(r["partition"], 0);
    EXPECT_EQ(r["offset"], i);
    EXPECT_EQ(r["key"], "key-" + std::to_string(i));
    EXPECT_EQ(r["value"], "value-" + std::to_string(i));
    EXPECT_EQ(r["headers"], nlohmann::json::parse(R"([{"key":"plant","value":"north"}])"));
    EXPECT_TRUE(r["timestamp"].is_number_integer()) << r.dump();
  }
}

TEST_F(CliTest, LinesWithoutTheSeparatorHaveANullKey) {
  CreateTopic("mixed", 1);
  Produce("mixed", "k:v\nplain\n\n", {"--key-separator", ":"});
  std::vector<nlohmann::json> records = ConsumeJson("mixed", "earliest");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["key"], "k");
  EXPECT_EQ(records[1]["key"], nullptr);
  EXPECT_EQ(records[1]["value"], "plain");
  EXPECT_EQ(records[2]["value"], "");
  EXPECT_EQ(records[2]["headers"], nlohmann::json::array());
}

TEST_F(CliTest, ConsumeStopsAtTheEndOfEveryPartition) {
  CreateTopic("spread", 4);
  Produce("spread", KeyedLines(0, 100), {"--key-separator", ":"});
  std::vector<nlohmann::json> records = ConsumeJson("spread", "earliest");
  ASSERT_EQ(records.size(), 100u);
  std::map<int, int64_t> next_offset;
  std::set<std::string> keys;
  for (nlohmann::json r : records) {
    int partition = r["partition"];
    EXPECT_EQ(r["offset"], next_offset[partition]++);
    keys.insert(r["key"].get<std::string>());
  }
  EXPECT_EQ(keys.size(), 100u);
  EXPECT_GT(next_offset.size(), 1u);  // keys spread over partitions
}

TEST_F(CliTest, ProducePartitionPutsEveryRecordThere) {
  CreateTopic("pinned", 3);
  Produce("pinned", "a\nb\nc\n", {"--partition", "1", "--acks", "1"});
  std::vector<nlohmann::json> records = ConsumeJson("pinned", "earliest", {"--partition", "1"});
  ASSERT_EQ(records.size(), 3u);
  for (nlohmann::json r : records) EXPECT_EQ(r["partition"], 1);
  EXPECT_TRUE(ConsumeJson("pinned", "earliest", {"--partition", "0"}).empty());
}

TEST_F(CliTest, ConsumeFromAnOffsetStopsAfterCount) {
  CreateTopic("counted", 1);
  Produce("counted", "v0\nv1\nv2\nv3\nv4\nv5\nv6\nv7\nv8\nv9\n");
  CommandResult r = Run({"consume", "--topic", "counted", "--from", "3", "--count", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(Values(r.out), (std::vector<std::string>{"v3", "v4", "v5", "v6"})) << r.out;
  EXPECT_TRUE(HasLine(r.out, "consumed 4 records")) << r.out;

  CommandResult latest = Run({"consume", "--topic", "counted", "--from", "latest"});
  ASSERT_EQ(latest.exit_code, 0) << latest.out;
  EXPECT_TRUE(Values(latest.out).empty()) << latest.out;
}

TEST_F(CliTest, ConsumeFromAnOffsetPastTheEndIsAnError) {
  CreateTopic("short", 1);
  Produce("short", "only\n");
  CommandResult r = Run({"consume", "--topic", "short", "--from", "50"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("consume: short[0]: "), std::string::npos) << r.out;
}

TEST_F(CliTest, ConsumeFromATimestampStartsAtTheFirstLaterRecord) {
  CreateTopic("timed", 2);
  Produce("timed", KeyedLines(0, 10), {"--key-separator", ":"});
  std::vector<nlohmann::json> first = ConsumeJson("timed", "earliest");
  ASSERT_EQ(first.size(), 10u);
  int64_t last = 0;
  for (nlohmann::json r : first) last = std::max<int64_t>(last, r["timestamp"].get<int64_t>());
  // The second batch must carry later timestamps; the clock moves on within a millisecond.
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  while (now_ms() <= last) {
  }
  Produce("timed", KeyedLines(10, 10), {"--key-separator", ":"});

  std::vector<nlohmann::json> later = ConsumeJson("timed", "@" + std::to_string(last + 1));
  ASSERT_EQ(later.size(), 10u);
  std::set<std::string> keys;
  for (nlohmann::json r : later) keys.insert(r["key"].get<std::string>());
  EXPECT_EQ(keys.size(), 10u);
  EXPECT_EQ(keys.count("key-10"), 1u);
  EXPECT_EQ(keys.count("key-19"), 1u);
  EXPECT_EQ(keys.count("key-9"), 0u);

  EXPECT_EQ(ConsumeJson("timed", "@0").size(), 20u);
  EXPECT_TRUE(ConsumeJson("timed", "@" + std::to_string(now_ms() + 3600000)).empty());
}

TEST_F(CliTest, BadFlagsFailWithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"consume", "--topic", "t", "--from", "yesterday"}, "--from: expected earliest, latest"},
      {{"consume", "--topic", "t", "--format", "xml"}, "--format"},
      {{"consume", "--topic", "t", "--count", "0"}, "--count"},
      {{"consume", "--from", "earliest"}, "--topic is required"},
      {{"produce", "--topic", "t", "--acks", "2"}, "--acks"},
      {{"produce", "--topic", "t", "--header", "novalue"}, "expected KEY=VALUE"},
      {{"produce", "--topic", "t", "-X", "no.such.setting=1"}, "No such configuration property"},
      {{"topic", "create", "t", "--partitions", "0"}, "--partitions"},
      {{"topic", "create", "t", "--config", "=1"}, "expected KEY=VALUE"},
      {{"topic", "rename", "t"}, "A subcommand is required"},
  };
  for (const Case& c : cases) {
    CommandResult r = Run(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args[0] << " " << c.args.back() << ": " << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.message << " not in: " << r.out;
  }
  CommandResult no_bootstrap = testing::RunCommand(testing::MillstreamBinary(), {"topic", "list"});
  EXPECT_NE(no_bootstrap.exit_code, 0);
  EXPECT_NE(no_bootstrap.out.find("--bootstrap is required"), std::string::npos)
      << no_bootstrap.out;
}

TEST_F(CliTest, AnUnknownTopicIsAClearErrorAndIsNotCreated) {
  CreateTopic("known", 1);
  for (std::vector<std::string> args : {std::vector<std::string>{"consume", "--topic", "missing"},
                                        std::vector<std::string>{"topic", "describe", "missing"}}) {
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("topic missing does not exist"), std::string::npos) << r.out;
  }
  CommandResult produced = RunWithInput({"produce", "--topic", "missing"}, "x\n");
  EXPECT_EQ(produced.exit_code, 1) << produced.out;
  EXPECT_NE(produced.out.find("topic missing does not exist"), std::string::npos) << produced.out;

  CommandResult deleted = Run({"topic", "delete", "missing"});
  EXPECT_EQ(deleted.exit_code, 1) << deleted.out;
  EXPECT_NE(deleted.out.find("topic delete: missing: "), std::string::npos) << deleted.out;

  CommandResult wrong_partition = Run({"consume", "--topic", "known", "--partition", "7"});
  EXPECT_EQ(wrong_partition.exit_code, 1) << wrong_partition.out;
  EXPECT_NE(wrong_partition.out.find("topic known has 1 partitions"), std::string::npos)
      << wrong_partition.out;

  EXPECT_EQ(Lines(Run({"topic", "list"}).out), (std::vector<std::string>{"known\t1"}));
}

// Not a speed test: the load generators count every record and report the
// fields bench/run_broker.sh reads.
TEST_F(CliTest, BenchProduceCreatesItsTopicAndConsumeReadsEveryRecordBack) {
  CommandResult produced = Run({"bench", "produce", "--topic", "load", "--partitions", "4",
                                "--record-bytes", "200", "--records", "5000", "--json", "-"});
  ASSERT_EQ(produced.exit_code, 0) << produced.out;
  std::vector<nlohmann::json> p = JsonLines(produced.out);
  ASSERT_EQ(p.size(), 1u) << produced.out;
  EXPECT_EQ(p[0]["records"], 5000);
  EXPECT_EQ(p[0]["failed"], 0);
  EXPECT_EQ(p[0]["bytes"], 5000 * 200);
  EXPECT_GT(p[0]["records_per_s"].get<double>(), 0);
  EXPECT_GT(p[0]["ack_latency_ms"]["p99"].get<double>(), 0);
  EXPECT_GE(p[0]["ack_latency_ms"]["p999"].get<double>(), p[0]["ack_latency_ms"]["p50"].get<double>());
  EXPECT_TRUE(HasLine(Run({"topic", "list"}).out, "load\t4"));

  CommandResult consumed = Run({"bench", "consume", "--topic", "load", "--json", "-"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.out;
  std::vector<nlohmann::json> c = JsonLines(consumed.out);
  ASSERT_EQ(c.size(), 1u) << consumed.out;
  EXPECT_EQ(c[0]["records"], 5000);
  EXPECT_EQ(c[0]["bytes"], 5000 * 200);
}

TEST_F(CliTest, BenchProduceRefusesATopicWithOtherPartitions) {
  CreateTopic("two", 2);
  CommandResult r = Run({"bench", "produce", "--topic", "two", "--partitions", "3", "--records", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("topic two has 2 partitions, not --partitions 3"), std::string::npos) << r.out;
}

TEST_F(CliTest, AnUnreachableBrokerFailsWithinTheTimeout) {
  CommandResult r =
      testing::RunCommand(testing::MillstreamBinary(),
                          {"topic", "list", "--bootstrap", "127.0.0.1:1", "--timeout-ms", "1000"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("topic list: metadata from 127.0.0.1:1: "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace millstream
