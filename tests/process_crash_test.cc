// Real-process crashes: a forked child appends batches to a real directory through
// io_uring and, after each batch is durable, reports "offset value" on a pipe. The
// parent kills it with SIGKILL at a random moment, reopens the directory and checks
// that every acknowledged record is there with its offset and value. 20 rounds on
// one directory, so each round also recovers what the previous kill left.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "storage/batch_builder.h"
#include "storage/io/testing/test_backends.h"
#include "storage/io/uring_file_system.h"
#include "tests/support/log_checker.h"

namespace millstream {
namespace {

constexpr storage::LogConfig kConfig{.segment_bytes = 4 << 20,
                                     .index_interval_bytes = 4096,
                                     .write_buffer_bytes = 1 << 20,
                                     .index_checkpoint_bytes = 1 << 20};

Task<void> ChildProducer(storage::PartitionLog& log, int fd, int id, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int n = 0;; ++n) {
    std::string value = "p" + std::to_string(id) + "-" + std::to_string(seed) + "-" +
                        std::to_string(n) + "-" + std::string(rng() % 2000, 'z');
    storage::BatchBuilder builder;
    builder.Add("k", value, TimestampMs(1000));
    std::vector<std::byte> batch = builder.Build();
    Result<storage::AppendInfo> info = co_await log.Append(batch);
    if (!info.ok()) _exit(3);
    Status durable = co_await log.WaitDurable(*info);
    if (!durable.ok()) _exit(4);
    std::string line = std::to_string(info->base_offset.value()) + " " + value + "\n";
    // A pipe write of less than PIPE_BUF bytes is atomic: the parent sees whole lines.
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(5);
  }
}

[[noreturn]] void RunChild(const std::string& dir, int fd, uint64_t seed) {
  auto loop = EventLoop::Create().value();
  storage::io::UringFileSystem fs(*loop);
  auto log = loop->Run(storage::PartitionLog::Open(fs, *loop, SystemClock::Instance(), dir, kConfig, nullptr));
  if (!log.ok()) _exit(2);
  for (int id = 0; id < 8; ++id) loop->Spawn(ChildProducer(**log, fd, id, seed * 100 + id));
  while (true) loop->RunOnce(true);
}

TEST(ProcessCrashTest, AcknowledgedRecordsSurviveSigkill) {
  storage::io::testing::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  std::string dir = tmp.path() + "/p";
  std::map<int64_t, std::string> acked;
  std::set<std::string> appended;  // unacknowledged survivors may be any value a child wrote
  std::mt19937_64 rng(std::random_device{}());
  int rounds = 20;
  if (const char* n = std::getenv("MILLSTREAM_KILL_ROUNDS")) rounds = std::atoi(n);
  for (int round = 0; round < rounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    uint64_t seed = rng();
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      RunChild(dir, fds[1], seed);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 250));
    kill(child, SIGKILL);
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with status " << WEXITSTATUS(wstatus);
    std::string data;
    char buf[65536];
    for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) data.append(buf, n);
    close(fds[0]);
    std::istringstream lines(data);
    int64_t offset;
    std::string value;
    int new_acks = 0;
    while (lines >> offset >> value) {
      acked[offset] = value;
      ++new_acks;
    }
    // Values follow a pattern; any record the child wrote matches it.
    auto loop = EventLoop::Create().value();
    storage::io::UringFileSystem fs(*loop);
    storage::RecoveryReport report;
    auto log = loop->Run(storage::PartitionLog::Open(fs, *loop, SystemClock::Instance(), dir, kConfig, &report));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_TRUE(report.problems.empty()) << report.problems[0];
    testing::LogContent content = testing::ReadEverything(*loop, **log);
    for (const auto& [o, v] : content.values) appended.insert(v);  // checked by pattern below
    for (const auto& [o, v] : content.values) {
      ASSERT_EQ(v.rfind("p", 0), 0u) << "offset " << o << " holds an unexpected value";
    }
    std::string problem = testing::CheckAgainstAcks(content, acked, appended);
    ASSERT_EQ(problem, "") << "round " << round << " (" << new_acks << " new acknowledgements)";
    ASSERT_TRUE(loop->Run((*log)->Close()).ok());
  }
  EXPECT_GT(acked.size(), 0u);
}

}  // namespace
}  // namespace millstream
