// Recovery figures for docs/benchmarks.md:
//  1. A child process appends 1 MiB batches with durable acknowledgements until
//     the partition holds 2 GiB, keeps appending, and is killed with SIGKILL; the
//     parent then times PartitionLog::Open (tail-only scan). Goal: under 1 second.
//  2. With every .index and .timeindex file deleted, Open rebuilds them by scanning
//     the log: reported in MB/s.
// Page caches are dropped before each Open when the process may (root), so the
// figures are cold-cache ones; the output says whether that happened.
// Prints one JSON object per line. Directory: MILLSTREAM_BENCH_DIR (default /tmp).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/clock.h"
#include "base/event_loop.h"
#include "storage/batch_builder.h"
#include "storage/io/uring_file_system.h"
#include "storage/partition_log.h"

namespace millstream {
namespace {

constexpr uint64_t kTarget = 2ull << 30;

bool DropCaches() {
  sync();
  std::ofstream f("/proc/sys/vm/drop_caches");
  if (!f) return false;
  f << "3\n";
  return static_cast<bool>(f);
}

Task<void> Producer(storage::PartitionLog& log, std::vector<std::byte>& batch, int fd) {
  while (true) {
    Result<storage::AppendInfo> info = co_await log.Append(batch);
    if (!info.ok()) _exit(3);
    Status s = co_await log.WaitDurable(*info);
    if (!s.ok()) _exit(4);
    if (log.size_bytes() >= kTarget) {
      char c = 'x';
      if (write(fd, &c, 1) != 1) _exit(5);
    }
  }
}

[[noreturn]] void Child(const std::string& dir, int fd) {
  auto loop = EventLoop::Create(512).value();
  storage::io::UringFileSystem fs(*loop);
  auto log = loop->Run(storage::PartitionLog::Open(fs, *loop, SystemClock::Instance(), dir, {}, nullptr));
  if (!log.ok()) _exit(2);
  storage::BatchBuilder builder;
  std::string value(1024, 'v');
  for (int i = 0; i < 1000; ++i) builder.Add("key", value, TimestampMs(1'700'000'000'000));
  std::vector<std::byte> batch = builder.Build();
  for (int i = 0; i < 16; ++i) loop->Spawn(Producer(**log, batch, fd));
  while (true) loop->RunOnce(true);
}

void TimeOpen(const std::string& dir, const char* what) {
  bool cold = DropCaches();
  auto loop = EventLoop::Create().value();
  storage::io::UringFileSystem fs(*loop);
  storage::RecoveryReport report;
  int64_t start = SystemClock::Instance().MonotonicNanos();
  auto log = loop->Run(storage::PartitionLog::Open(fs, *loop, SystemClock::Instance(), dir, {}, &report));
  double seconds = (SystemClock::Instance().MonotonicNanos() - start) / 1e9;
  if (!log.ok()) {
    std::printf("{\"what\": \"%s\", \"error\": \"%s\"}\n", what, log.status().ToString().c_str());
    return;
  }
  std::printf("{\"what\": \"%s\", \"cold_cache\": %s, \"log_bytes\": %llu, \"segments\": %d, "
              "\"bytes_scanned\": %llu, \"indexes_rebuilt\": %d, \"seconds\": %.4f, "
              "\"scan_mb_per_s\": %.0f, \"problems\": %zu}\n",
              what, cold ? "true" : "false", static_cast<unsigned long long>((*log)->size_bytes()),
              report.segments, static_cast<unsigned long long>(report.bytes_scanned),
              report.indexes_rebuilt, seconds, report.bytes_scanned / 1e6 / seconds,
              report.problems.size());
  (void)loop->Run((*log)->Close());
}

}  // namespace
}  // namespace millstream

int main() {
  using namespace millstream;
  const char* base = std::getenv("MILLSTREAM_BENCH_DIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/millstream-recovery-bench";
  std::filesystem::remove_all(dir);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    Child(dir, fds[1]);
  }
  close(fds[1]);
  char c;
  if (read(fds[0], &c, 1) != 1) {
    std::fprintf(stderr, "the writer died before reaching 2 GiB\n");
    return 1;
  }
  usleep(200 * 1000);  // keep appending a little past the target, then pull the plug
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  if (std::getenv("MILLSTREAM_BENCH_LIST")) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::fprintf(stderr, "%s %llu\n", entry.path().filename().c_str(),
                   static_cast<unsigned long long>(entry.file_size()));
    }
  }
  TimeOpen(dir, "recovery after SIGKILL");
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string ext = entry.path().extension();
    if (ext == ".index" || ext == ".timeindex") std::filesystem::remove(entry.path());
  }
  TimeOpen(dir, "index rebuild");
  std::filesystem::remove_all(dir);
  return 0;
}
