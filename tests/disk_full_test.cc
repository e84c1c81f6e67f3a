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

#include <algorithm>
#include <chrono>
#include <cstdlib>
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

// A small file system of its own (an ext4 image on a loop device), mounted for
// the test and unmounted after; the test is skipped where the machine does not
// allow it (not root, no loop devices: a container).
class SmallFileSystem {
 public:
  explicit SmallFileSystem(uint64_t bytes) {
    if (geteuid() != 0) return;
    image_ = scratch_.path() + "/fs.img";
    mount_ = scratch_.path() + "/mnt";
    std::string command = "truncate -s " + std::to_string(bytes) + " '" + image_ + "' && mkfs.ext4 -q -F '" + image_ +
                          "' >/dev/null 2>&1 && mkdir -p '" + mount_ + "' && mount -o loop '" + image_ + "' '" +
                          mount_ + "' 2>/dev/null";
    mounted_ = std::system(command.c_str()) == 0;
  }
  ~SmallFileSystem() {
    if (!mounted_) return;
    // A broker killed by a failed assertion releases its files a little late
    // (its ring is torn down after it exits): retry, then detach lazily, so that
    // neither the mount nor the loop device outlives the test.
    std::string umount = "umount '" + mount_ + "' 2>/dev/null";
    for (int i = 0; i < 20; ++i) {
      if (std::system(umount.c_str()) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (std::system(("umount -l '" + mount_ + "'").c_str()) != 0) {
      ADD_FAILURE() << "could not unmount " << mount_;
    }
  }
  bool mounted() const { return mounted_; }
  const std::string& path() const { return mount_; }

 private:
  storage::io::testing::TempDir scratch_;
  std::string image_, mount_;
  bool mounted_ = false;
};

TEST(DiskFullTest, OnASmallFileSystemProduceStopsAtTheThresholdLosesNothingAndResumesWhenSpaceReturns) {
  SmallFileSystem fs(640ull << 20);
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a loop file system here (needs root and /dev/loop*)";
  std::string data = fs.path() + "/data";
  {
    testing::BrokerProcess broker({"--data-dir", data, "--min-free-bytes", std::to_string(160ull << 20)});
    ASSERT_TRUE(broker.Start()) << broker.output();
    auto refused = [&] {
      testing::MetricsPage page = testing::ParseMetrics(testing::Http(broker.http_port(), "GET", "/metrics").body);
      return page.samples["millstream_produce_refused_for_space"];
    };
    // 64 KiB lines, 256 at a time, until the broker refuses: every line kcat
    // reports delivered must be readable afterwards. About 50 MB/s, so that the
    // once-a-second check sees the threshold long before the disk is really full.
    std::string batch;
    for (int i = 0; i < 256; ++i) batch += std::string(64 * 1024, static_cast<char>('a' + i % 26)) + "\n";
    int delivered_batches = 0;
    for (int round = 0; round < 200 && refused() != 1; ++round) {
      testing::CommandResult sent = testing::Kcat(
          {"-b", broker.bootstrap(), "-P", "-t", "asns", "-X", "acks=all", "-X", "message.timeout.ms=5000"}, batch);
      if (sent.exit_code == 0) ++delivered_batches;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    ASSERT_EQ(refused(), 1) << "the file system never filled";
    EXPECT_GT(delivered_batches, 0);
    EXPECT_TRUE(broker.WaitForLog("disk nearly full", 5000)) << broker.output();
    testing::CommandResult blocked = testing::Kcat(
        {"-b", broker.bootstrap(), "-P", "-t", "asns", "-X", "acks=all", "-X", "message.timeout.ms=2000"}, "late\n");
    EXPECT_NE(blocked.exit_code, 0);
    testing::CommandResult count =
        testing::Kcat({"-b", broker.bootstrap(), "-C", "-t", "asns", "-e", "-q", "-f", "%o\n"});
    EXPECT_GE(std::count(count.out.begin(), count.out.end(), '\n'), delivered_batches * 256);
    // An operator makes room: the topic goes, produce resumes by itself.
    EXPECT_EQ(testing::Http(broker.http_port(), "DELETE", "/api/v1/topics/asns", "").status, 200);
    for (int i = 0; i < 100 && refused() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(refused(), 0);
    EXPECT_EQ(testing::Kcat({"-b", broker.bootstrap(), "-P", "-t", "receipts", "-X", "acks=all"}, "after\n").exit_code, 0);
    EXPECT_EQ(broker.Stop(), 0);
  }
  // Nothing on the full file system is damaged.
  testing::CommandResult verified = testing::RunCommand(testing::MillstreamBinary(), {"verify", data});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
}

}  // namespace
}  // namespace millstream
