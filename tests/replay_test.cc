// `millstream replay` against a real broker and its data directory: the records
// between two checkpoints equal what a Kafka consumer (kcat, librdkafka) reads
// between the same offsets, compressed batches included; the digest is the same
// online, offline and after a restart; a flipped byte inside the range fails the
// replay naming its position; records that retention deleted are reported
// missing, while a pinned range survives.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "net/kafka/protocol/delete_records.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka_client.h"

namespace millstream {
namespace {

using nlohmann::json;

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.Start()) << broker_.output(); }

  std::string Admin() const { return "http://127.0.0.1:" + std::to_string(broker_.http_port()); }
  int Post(const std::string& path, const json& body) {
    testing::HttpReply r = testing::Http(broker_.http_port(), "POST", path, body.dump());
    EXPECT_LT(r.status, 300) << path << ": " << r.body;
    return r.status;
  }
  json Checkpoint(const std::string& name, bool pin = false) {
    testing::HttpReply r = testing::Http(broker_.http_port(), "POST", "/api/v1/checkpoints",
                                         json{{"name", name}, {"pin", pin}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  }
  // Three records per codec into `partition`, keyed "k<n>" (kcat -K:).
  void ProduceEveryCodec(const std::string& topic, int partition, const std::string& tag) {
    for (const char* codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
      std::string input;
      for (int i = 0; i < 3; ++i) input += "k" + std::to_string(i) + ":" + tag + "-" + codec + "-" + std::to_string(i) + "\n";
      testing::CommandResult r = testing::Kcat({"-b", broker_.bootstrap(), "-P", "-t", topic, "-p",
                                                std::to_string(partition), "-z", codec, "-K:", "-X", "acks=all"},
                                               input);
      ASSERT_EQ(r.exit_code, 0) << r.out;
    }
  }
  testing::CommandResult Replay(std::vector<std::string> args) {
    args.insert(args.begin(), "replay");
    return testing::RunCommand(testing::MillstreamBinary(), args);
  }
  testing::CommandResult ReplayOnline(const std::string& from, const std::string& to, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--from", from, "--to", to, "--bootstrap", broker_.bootstrap(), "--admin", Admin()};
    args.insert(args.end(), more.begin(), more.end());
    return Replay(args);
  }
  static std::string DigestIn(const std::string& out) {
    size_t at = out.find("digest\tsha256:");
    return at == std::string::npos ? "(no digest in: " + out + ")" : out.substr(at, 14 + 64);
  }

  // Retention runs often, for the test of what it deletes.
  testing::BrokerProcess broker_{{"--retention-check-ms", "100"}};
};

TEST_F(ReplayTest, RecordsBetweenCheckpointsEqualWhatKcatReadsAndTheDigestHoldsOnlineOfflineAndAfterARestart) {
  Post("/api/v1/topics", {{"name", "receipts"}, {"partitions", 3}});
  ProduceEveryCodec("receipts", 0, "before");
  json a = Checkpoint("a");
  ProduceEveryCodec("receipts", 0, "inside");
  ProduceEveryCodec("receipts", 2, "inside");
  Post("/api/v1/topics/receipts/records",
       {{"records", {{{"key", "SUP-9"}, {"value", {{"asn", 1}}}, {"headers", {{"source", "portal"}}}, {"partition", 1}}}}});
  json b = Checkpoint("b");
  ProduceEveryCodec("receipts", 1, "after");

  testing::CommandResult online = ReplayOnline("a", "b");
  ASSERT_EQ(online.exit_code, 0) << online.out;
  // Compare with kcat, partition by partition, over the same offsets.
  std::string expected;
  for (int p = 0; p < 3; ++p) {
    int64_t from = a["partitions"][p]["end_offset"], to = b["partitions"][p]["end_offset"];
    if (to == from) continue;
    testing::CommandResult kcat = testing::Kcat({"-b", broker_.bootstrap(), "-C", "-t", "receipts", "-p",
                                                 std::to_string(p), "-o", std::to_string(from), "-c",
                                                 std::to_string(to - from), "-q", "-f", "%p|%o|%k|%s\\n"});
    ASSERT_EQ(kcat.exit_code, 0) << kcat.out;
    expected += kcat.out;
  }
  std::string replayed;
  std::istringstream lines(online.out);
  for (std::string line; std::getline(lines, line);) {
    json r = json::parse(line, nullptr, false);
    if (r.is_discarded()) continue;  // the summary lines (stderr, merged)
    replayed += std::to_string(r["partition"].get<int>()) + "|" + std::to_string(r["offset"].get<int64_t>()) + "|" +
                (r["key"].is_null() ? "" : r["key"].get<std::string>()) + "|" + r["value"].get<std::string>() + "\n";
  }
  EXPECT_EQ(replayed, expected);
  EXPECT_NE(online.out.find("partition\treceipts\t0\t15\t15\t29"), std::string::npos) << online.out;
  EXPECT_NE(online.out.find("partition\treceipts\t1\t1\t0\t0"), std::string::npos) << online.out;
  EXPECT_NE(online.out.find("records\t31"), std::string::npos) << online.out;
  std::string digest = DigestIn(online.out);

  ASSERT_TRUE(broker_.Restart());
  EXPECT_EQ(DigestIn(ReplayOnline("a", "b", {"--verify-only"}).out), digest);
  ASSERT_EQ(broker_.Stop(), 0);
  testing::CommandResult offline = Replay({"--from", "a", "--to", "b", "--data-dir", broker_.data_dir(), "--verify-only"});
  ASSERT_EQ(offline.exit_code, 0) << offline.out;
  EXPECT_EQ(DigestIn(offline.out), digest);
  // --format raw is the canonical form itself: its SHA-256 is the digest.
  std::string raw_path = broker_.data_dir() + "/../replay.raw";
  ASSERT_EQ(Replay({"--from", "a", "--to", "b", "--data-dir", broker_.data_dir(), "--format", "raw", "--out", raw_path})
                .exit_code,
            0);
  testing::CommandResult sum = testing::RunCommand("/usr/bin/sha256sum", {raw_path});
  EXPECT_EQ("digest\tsha256:" + sum.out.substr(0, 64), digest);
  std::remove(raw_path.c_str());
}

TEST_F(ReplayTest, RecordsDeleteRecordsRemovedAreMissingOfflineAsOnline) {
  Post("/api/v1/topics", {{"name", "orders"}, {"partitions", 1}});
  Checkpoint("a");
  ProduceEveryCodec("orders", 0, "x");  // offsets 0..14, one segment
  Checkpoint("b");
  auto client = testing::KafkaClient::Connect(broker_.bootstrap());
  ASSERT_TRUE(client.ok());
  net::kafka::DeleteRecordsRequest request;
  request.topics.push_back({"orders", {{PartitionId(0), Offset(4)}}});
  auto deleted = (*client)->Call<net::kafka::DeleteRecordsApi>(1, request);
  ASSERT_TRUE(deleted.ok());
  ASSERT_EQ(deleted->topics.at(0).partitions.at(0).low_watermark, Offset(4));
  testing::CommandResult online = ReplayOnline("a", "b", {"--verify-only"});
  EXPECT_EQ(online.exit_code, 1) << online.out;
  ASSERT_EQ(broker_.Stop(), 0);
  testing::CommandResult offline = Replay({"--from", "a", "--to", "b", "--data-dir", broker_.data_dir(), "--verify-only"});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_NE(offline.out.find("replay: FAILED: topic orders partition 0: offsets 0 to 3 are missing"), std::string::npos)
      << offline.out;
  ASSERT_TRUE(broker_.Start());
}

TEST_F(ReplayTest, AReplayWhoseOutputCannotBeWrittenFails) {
  Post("/api/v1/topics", {{"name", "orders"}, {"partitions", 1}});
  Checkpoint("a");
  ProduceEveryCodec("orders", 0, "x");
  Checkpoint("b");
  testing::CommandResult full = ReplayOnline("a", "b", {"--out", "/dev/full"});
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_NE(full.out.find("replay: FAILED: writing the records to /dev/full failed"), std::string::npos) << full.out;
}

TEST_F(ReplayTest, AFlippedByteInsideTheRangeFailsTheReplayWithItsPosition) {
  Post("/api/v1/topics", {{"name", "orders"}, {"partitions", 1}});
  Checkpoint("a");
  ProduceEveryCodec("orders", 0, "x");
  Checkpoint("b");
  ASSERT_EQ(broker_.Stop(), 0);
  std::string log = broker_.data_dir() + "/topics/orders/0/00000000000000000000.log";
  std::fstream file(log, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  size_t at = bytes.find("x-none-1");
  ASSERT_NE(at, std::string::npos);
  file.seekp(static_cast<std::streamoff>(at));
  file.put('y');
  file.close();
  testing::CommandResult offline = Replay({"--from", "a", "--to", "b", "--data-dir", broker_.data_dir()});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_NE(offline.out.find("replay: FAILED: topic orders partition 0 at offset 0: " + log + ":0: crc mismatch"),
            std::string::npos)
      << offline.out;
  ASSERT_TRUE(broker_.Start()) << broker_.output();
  testing::CommandResult online = ReplayOnline("a", "b");
  EXPECT_EQ(online.exit_code, 1);
  EXPECT_NE(online.out.find("replay: FAILED: topic orders partition 0 at offset 0"), std::string::npos) << online.out;
}

TEST_F(ReplayTest, RecordsRetentionDeletedAreMissingWhileAPinnedRangeSurvives) {
  json small = {{"segment.bytes", "4096"}, {"retention.bytes", "0"}};
  Post("/api/v1/topics", {{"name", "pinned"}, {"partitions", 1}, {"config", small}});
  Post("/api/v1/topics", {{"name", "loose"}, {"partitions", 1}, {"config", small}});
  std::string value(900, 'v');
  auto produce = [&](const std::string& topic, int n) {
    json records = json::array();
    for (int i = 0; i < n; ++i) records.push_back({{"value", value}});
    for (const json& r : records) Post("/api/v1/topics/" + topic + "/records", {{"records", {r}}});
  };
  produce("pinned", 5);
  produce("loose", 5);
  Post("/api/v1/checkpoints", {{"name", "keep"}, {"topics", {"pinned"}}, {"pin", true}});
  Post("/api/v1/checkpoints", {{"name", "drop"}, {"topics", {"loose"}}});
  produce("pinned", 20);
  produce("loose", 20);
  auto log_start = [&](const std::string& topic) {
    json t = json::parse(testing::Http(broker_.http_port(), "GET", "/api/v1/topics/" + topic).body);
    return t["partitions"][0]["log_start_offset"].get<int64_t>();
  };
  for (int i = 0; i < 100 && log_start("loose") <= 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_GT(log_start("loose"), 10);
  testing::CommandResult kept = ReplayOnline("keep", "now", {"--verify-only"});
  EXPECT_EQ(kept.exit_code, 0) << kept.out;
  EXPECT_NE(kept.out.find("partition\tpinned\t0\t20\t5\t24"), std::string::npos) << kept.out;
  testing::CommandResult gone = ReplayOnline("drop", "now", {"--verify-only"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.out.find("replay: FAILED: topic loose partition 0 at offset 5"), std::string::npos) << gone.out;
}

}  // namespace
}  // namespace millstream
