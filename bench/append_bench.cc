// Append throughput of one PartitionLog on the real file system (io_uring,
// O_DIRECT): durable (every batch acknowledged after its group-committed
// fdatasync) and written-only, for 100 B and 1 KiB records in batches of 16 KiB to
// 1 MiB. bench/run_storage.sh runs it next to fio on the same directory.
//
// The directory comes from MILLSTREAM_BENCH_DIR (default /tmp); each benchmark
// uses a fresh subdirectory and removes it. Up to kInFlight batches are
// outstanding at once, as many producers would keep them.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

#include "base/clock.h"
#include "base/event_loop.h"
#include "storage/batch_builder.h"
#include "storage/io/uring_file_system.h"
#include "storage/partition_log.h"

namespace millstream {
namespace {

constexpr int kInFlight = 64;

std::string BenchDir() {
  const char* dir = std::getenv("MILLSTREAM_BENCH_DIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/millstream-append-bench";
}

std::vector<std::byte> MakeBatch(size_t record_size, size_t batch_size) {
  storage::BatchBuilder builder;
  std::string value(record_size, 'v');
  for (size_t bytes = 0; bytes + record_size + 16 <= batch_size; bytes += record_size + 16) {
    builder.Add("key-0001", value, TimestampMs(1'700'000'000'000));
  }
  return builder.Build();
}

Task<void> Produce(storage::PartitionLog& log, std::vector<std::byte>& batch, bool durable,
                   int& outstanding, bool& failed) {
  Result<storage::AppendInfo> info = co_await log.Append(batch);
  if (!info.ok()) {
    failed = true;
  } else {
    Status s;  // two statements: GCC 12 miscompiles co_await inside ?:
    if (durable) {
      s = co_await log.WaitDurable(*info);
    } else {
      s = co_await log.WaitWritten(*info);
    }
    if (!s.ok()) failed = true;
  }
  --outstanding;
}

void BM_Append(benchmark::State& state, bool durable) {
  size_t record_size = state.range(0);
  size_t batch_size = state.range(1);
  std::filesystem::remove_all(BenchDir());
  auto loop = EventLoop::Create(512).value();
  storage::io::UringFileSystem fs(*loop);
  storage::LogConfig config{.segment_bytes = 256ull << 20, .write_buffer_bytes = 8u << 20};
  auto log = loop->Run(storage::PartitionLog::Open(fs, *loop, SystemClock::Instance(), BenchDir(), config, nullptr));
  if (!log.ok()) {
    state.SkipWithError(log.status().ToString().c_str());
    return;
  }
  std::vector<std::byte> batch = MakeBatch(record_size, batch_size);
  int64_t records_per_batch = storage::PeekBatchHeader(batch)->records_count;
  int outstanding = 0;
  bool failed = false;
  int64_t batches = 0;
  for (auto _ : state) {
    ++outstanding;
    loop->Spawn(Produce(**log, batch, durable, outstanding, failed));
    while (outstanding >= kInFlight) loop->RunOnce(true);
    // Keep the disk footprint bounded: sealed segments beyond 1 GiB go.
    if (++batches % 256 == 0) {
      state.PauseTiming();
      (void)loop->Run((*log)->ApplyRetention({.retention_bytes = 1ll << 30}, nullptr));
      state.ResumeTiming();
    }
  }
  while (outstanding > 0) loop->RunOnce(true);
  if (failed) state.SkipWithError("an append failed");
  state.SetBytesProcessed(batches * static_cast<int64_t>(batch.size()));
  state.SetItemsProcessed(batches * records_per_batch);
  state.counters["batch_bytes"] = static_cast<double>(batch.size());
  (void)loop->Run((*log)->Close());
  log->reset();
  std::filesystem::remove_all(BenchDir());
}

void Args(benchmark::internal::Benchmark* b) {
  for (int64_t record : {100, 1024}) {
    for (int64_t batch : {16 << 10, 64 << 10, 256 << 10, 1 << 20}) b->Args({record, batch});
  }
  b->ArgNames({"record", "batch"})->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);
}

BENCHMARK_CAPTURE(BM_Append, durable, true)->Apply(Args);
BENCHMARK_CAPTURE(BM_Append, written, false)->Apply(Args);

}  // namespace
}  // namespace millstream

BENCHMARK_MAIN();
