// What the broker counts about each partition, for /metrics and the admin API:
// traffic since the broker started (PartitionTraffic, kept beside the partition
// and touched only on its shard) and a snapshot of its log (PartitionStats, taken
// on that shard by Broker::CollectStats).
#pragma once

#include <cstdint>
#include <string>

#include "storage/sync_stats.h"

namespace millstream::engine {

struct PartitionTraffic {
  uint64_t produce_batches = 0;  // batches appended (retries answered from memory are not)
  uint64_t produce_records = 0;
  uint64_t produce_bytes = 0;    // RecordBatch bytes as stored
  uint64_t fetch_requests = 0;   // partition reads that returned data or waited for it
  uint64_t fetch_records = 0;
  uint64_t fetch_bytes = 0;
};

struct PartitionStats {
  std::string topic;
  int32_t partition = 0;
  int64_t log_start = 0;
  int64_t high_watermark = 0;  // after the last written record
  int64_t durable_end = 0;     // after the last durable record
  uint64_t disk_bytes = 0;     // segment bytes (logical sizes, not preallocated space)
  uint64_t segments = 0;
  PartitionTraffic traffic;
  storage::SyncStats sync;
};

}  // namespace millstream::engine
