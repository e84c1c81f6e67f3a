// A nearly full disk on a real broker: below --min-free-bytes produce is refused
// with a retriable error while fetch, group commits and checkpoints go on, and
// production resumes by itself when space returns. The disk is "filled" with a
// preallocated file on the same file system as the data directory, sized from
// the free space measured at the start, with a gigabyte of margin either way
// for whatever else writes there meanwhile.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"

namespace millstream {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

uint64_t FreeBytes(const std::string& path) {
  struct statvfs s {};
  if (statvfs(path.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

TEST(DiskFullTest, ProduceIsRefusedBelowTheThresholdWhileReadsCommitsAndCheckpointsGoOnAndResumes) {
  storage::io::testing::TempDir scratch;
  uint64_t free = FreeBytes(scratch.path());
  if (free < 4 * kGiB) GTEST_SKIP() << "needs 4 GiB free for the filler, has " << free;
  // Above the threshold by 1 GiB now; below it by 1 GiB once 2 GiB are taken.
  uint64_t threshold = free - kGiB;
  testing::BrokerProcess broker({"--min-free-bytes", std::to_string(threshold), "--group-initial-rebalance-delay-ms", "0"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  auto refused = [&] {
    testing::MetricsPage page = testing::ParseMetrics(testing::Http(broker.http_port(), "GET", "/metrics").body);
    return page.samples["millstream_produce_refused_for_space"];
  };
  auto produce = [&](const std::string& lines) {
    return testing::Kcat({"-b", broker.bootstrap(), "-P", "-t", "receipts", "-X", "acks=all", "-X",
                          "message.timeout.ms=3000"},
                         lines);
  };
  ASSERT_EQ(produce("a\nb\n").exit_code, 0);

  std::string filler = scratch.path() + "/filler";
  int fd = open(filler.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(posix_fallocate(fd, 0, static_cast<off_t>(2 * kGiB)), 0);
  close(fd);
  for (int i = 0; i < 100 && refused() != 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(refused(), 1);
  EXPECT_TRUE(broker.WaitForLog("disk nearly full", 5000)) << broker.output();

  // librdkafka retries KAFKA_STORAGE_ERROR until its message timeout: the record
  // is not lost in silence, the producer is told it timed out.
  testing::CommandResult blocked = produce("c\n");
  EXPECT_NE(blocked.exit_code, 0);
  EXPECT_NE(blocked.out.find("Message timed out"), std::string::npos) << blocked.out;
  testing::MetricsPage page = testing::ParseMetrics(testing::Http(broker.http_port(), "GET", "/metrics").body);
  EXPECT_GE(page.samples["millstream_kafka_errors_total{code=\"56\",error=\"KAFKA_STORAGE_ERROR\"}"], 1);
  testing::HttpReply webhook = testing::Http(broker.http_port(), "POST", "/api/v1/topics/receipts/records",
                                             R"({"records": [{"value": "d"}]})");
  EXPECT_EQ(webhook.status, 507) << webhook.body;
  // Reads, group commits and checkpoints use the reserve.
  testing::CommandResult read = testing::Kcat({"-b", broker.bootstrap(), "-G", "wms", "-X",
                                               "auto.offset.reset=earliest", "-e", "-q", "receipts"});
  EXPECT_EQ(read.out, "a\nb\n");
  testing::HttpReply checkpoint = testing::Http(broker.http_port(), "POST", "/api/v1/checkpoints", R"({"name":"full"})");
  EXPECT_EQ(checkpoint.status, 201) << checkpoint.body;
  nlohmann::json group = nlohmann::json::parse(testing::Http(broker.http_port(), "GET", "/api/v1/groups/wms").body);
  EXPECT_EQ(group["offsets"][0]["committed_offset"], 2) << group.dump();

  ASSERT_EQ(unlink(filler.c_str()), 0);
  for (int i = 0; i < 100 && refused() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(refused(), 0);
  EXPECT_TRUE(broker.WaitForLog("disk space returned", 5000));
  EXPECT_EQ(produce("e\n").exit_code, 0);
  EXPECT_EQ(testing::Kcat({"-b", broker.bootstrap(), "-C", "-t", "receipts", "-e", "-q"}).out, "a\nb\ne\n");
}

}  // namespace
}  // namespace millstream
