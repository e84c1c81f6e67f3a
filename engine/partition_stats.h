// What the broker counts about each partition, for /metrics and the admin API:
// produce traffic since the broker started (PartitionTraffic, kept beside the
// partition and touched only on its shard) and a snapshot of its log
// (PartitionStats, taken on that shard by Broker::CollectStats). Fetch traffic is
// counted by the Fetch handler from its answers (net/kafka/request_metrics.h): a
// long poll reads a partition several times for one answer.
#pragma once

#include <cstdint>
#include <string>

#include "storage/flush_scheduler.h"
#include "storage/sync_stats.h"

namespace millstream::engine {

struct PartitionTraffic {
  uint64_t produce_batches = 0;  // batches appended (retries answered from memory are not)
  uint64_t produce_records = 0;
  uint64_t produce_bytes = 0;    // RecordBatch bytes as stored
};

struct PartitionStats {
  std::string topic;
  int32_t partition = 0;
  int64_t log_start = 0;
  int64_t high_watermark = 0;  // after the last written record
  int64_t durable_end = 0;     // after the last durable record
  uint64_t disk_bytes = 0;     // segment bytes (logical sizes, not preallocated space)
  uint64_t segments = 0;
  uint64_t pinned_bytes = 0;   // kept on disk by pinned checkpoints past retention (last run)
  PartitionTraffic traffic;
  storage::SyncStats sync;
};

// A shard's flushes by priority class (storage/flush_scheduler.h), for /metrics.
using FlushStats = storage::FlushScheduler::Stats;

}  // namespace millstream::engine
