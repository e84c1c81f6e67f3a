// The broker as unmodified clients see it: `millstream serve` on an ephemeral
// loopback port, driven by kcat (librdkafka 2.0.2).
#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/broker_process.h"

namespace millstream {
namespace {

using testing::BrokerProcess;
using testing::Kcat;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '%') out.push_back(line);  // kcat's own notes start with %
  }
  return out;
}

std::string Numbered(const std::string& prefix, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += prefix + std::to_string(i) + "\n";
  return out;
}

class KcatTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.Start()) << broker_.output(); }
  testing::CommandResult Produce(const std::string& topic, const std::string& input,
                                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-b", broker_.bootstrap(), "-P", "-t", topic, "-X", "acks=all"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Kcat(args, input);
  }
  std::vector<std::string> Consume(const std::string& topic, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-b", broker_.bootstrap(), "-C", "-t", topic, "-e", "-o", "beginning", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Lines(Kcat(args).out);
  }

  BrokerProcess broker_{{"--shards", "2"}};
};

TEST_F(KcatTest, ListsTheBrokerAndItsTopics) {
  ASSERT_EQ(Produce("orders", "o1\n").exit_code, 0);
  testing::CommandResult r = Kcat({"-b", broker_.bootstrap(), "-L"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("broker 0 at " + broker_.bootstrap()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("topic \"orders\" with 1 partitions"), std::string::npos) << r.out;
}

TEST_F(KcatTest, EveryCodecRoundTripsWithAcksAll) {
  for (std::string codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    std::string topic = "codec-" + codec;
    testing::CommandResult p = Produce(topic, Numbered(codec + "-", 500), {"-z", codec});
    ASSERT_EQ(p.exit_code, 0) << codec << ": " << p.out;
    std::vector<std::string> got = Consume(topic);
    ASSERT_EQ(got.size(), 500u) << codec;
    EXPECT_EQ(got.front(), codec + "-0");
    EXPECT_EQ(got.back(), codec + "-499");
  }
}

TEST_F(KcatTest, KeysAndHeadersRoundTrip) {
  ASSERT_EQ(Produce("keyed", "machine-7:down\nmachine-8:up\n", {"-K", ":", "-H", "plant=north", "-H", "line=3"}).exit_code, 0);
  std::vector<std::string> got = Consume("keyed", {"-f", "%k|%s|%h\n"});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "machine-7|down|plant=north,line=3");
  EXPECT_EQ(got[1], "machine-8|up|plant=north,line=3");
}

TEST_F(KcatTest, NullAndEmptyKeysAndValues) {
  // -Z: empty input keys and values are sent (and printed) as NULL.
  ASSERT_EQ(Produce("nulls", ":v1\nk2:\n", {"-K", ":", "-Z"}).exit_code, 0);
  ASSERT_EQ(Produce("nulls", "k3:\n", {"-K", ":"}).exit_code, 0);
  // %S is the value's length: -1 for NULL, 0 for empty.
  std::vector<std::string> got = Consume("nulls", {"-Z", "-f", "%k|%s|%S\n"});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "NULL|v1|2");
  EXPECT_EQ(got[1], "k2|NULL|-1");
  // An empty (not null) value: length 0 (kcat -Z prints empty values as NULL too).
  EXPECT_EQ(got[2].substr(0, 3), "k3|");
  EXPECT_EQ(got[2].substr(got[2].size() - 2), "|0");
}

TEST_F(KcatTest, OffsetsByTimeAndEnds) {
  ASSERT_EQ(Produce("timed", "a\nb\nc\n").exit_code, 0);
  testing::CommandResult latest = Kcat({"-b", broker_.bootstrap(), "-Q", "-t", "timed:0:-1"});
  EXPECT_NE(latest.out.find("offset 3"), std::string::npos) << latest.out;
  testing::CommandResult earliest = Kcat({"-b", broker_.bootstrap(), "-Q", "-t", "timed:0:-2"});
  EXPECT_NE(earliest.out.find("offset 0"), std::string::npos) << earliest.out;
  testing::CommandResult by_time = Kcat({"-b", broker_.bootstrap(), "-Q", "-t", "timed:0:1000"});
  EXPECT_NE(by_time.out.find("offset 0"), std::string::npos) << by_time.out;
}

TEST_F(KcatTest, AnIdempotentProducerDeliversEverythingOnceInOrder) {
  ASSERT_EQ(Produce("idem", Numbered("i", 2000), {"-X", "enable.idempotence=true"}).exit_code, 0);
  std::vector<std::string> got = Consume("idem");
  ASSERT_EQ(got.size(), 2000u);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(got[i], "i" + std::to_string(i));
}

TEST_F(KcatTest, AcknowledgedDataSurvivesRestartAndSigkill) {
  ASSERT_EQ(Produce("receipts", Numbered("r", 300)).exit_code, 0);
  ASSERT_TRUE(broker_.Restart()) << broker_.output();
  ASSERT_EQ(Produce("receipts", Numbered("s", 300)).exit_code, 0);
  broker_.Kill();
  ASSERT_TRUE(broker_.Start()) << broker_.output();
  std::vector<std::string> got = Consume("receipts");
  ASSERT_EQ(got.size(), 600u);
  EXPECT_EQ(got[299], "r299");
  EXPECT_EQ(got[599], "s299");
}

TEST_F(KcatTest, OneMebibyteRecordsRoundTrip) {
  testing::CommandResult created = testing::RunCommand(
      testing::MillstreamBinary(), {"topic", "create", "big", "--partitions", "1", "--config",
                                    "max.message.bytes=2097152", "--bootstrap", broker_.bootstrap()});
  ASSERT_EQ(created.exit_code, 0) << created.out;
  std::string record(1 << 20, 'm');
  ASSERT_EQ(Produce("big", record + "\n" + record + "\n", {"-X", "message.max.bytes=2000000"}).exit_code, 0);
  // Fetches ask for less than one record: the broker still returns a whole batch.
  std::vector<std::string> got = Consume("big", {"-X", "message.max.bytes=1000", "-X", "fetch.max.bytes=1000",
                                                 "-X", "max.partition.fetch.bytes=1000"});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].size(), record.size());
  EXPECT_EQ(got[1], record);
}

TEST(KcatPartitionsTest, SixtyFourPartitions) {
  BrokerProcess broker({"--default-partitions", "64"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  for (int p = 0; p < 64; ++p) {
    testing::CommandResult r = Kcat({"-b", broker.bootstrap(), "-P", "-t", "wide", "-p", std::to_string(p)},
                                    "p" + std::to_string(p) + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  std::vector<std::string> got = Lines(Kcat({"-b", broker.bootstrap(), "-C", "-t", "wide", "-e", "-o", "beginning", "-q", "-f", "%p:%s\n"}).out);
  ASSERT_EQ(got.size(), 64u);
  std::sort(got.begin(), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(), "63:p63"), got.end());
}

}  // namespace
}  // namespace millstream
