// SyncStats: what a partition's fdatasyncs cost, for /metrics: how long each took
// (the linked write and sync, or a sync alone, from submission to completion) and
// how many bytes each made durable (group commit shows as many bytes per sync).
// Kept by the PartitionLog across segment rolls, recorded by its SegmentAppender;
// one thread (the partition's shard).
#pragma once

#include <cstdint>

#include "base/bucket_histogram.h"

namespace millstream::storage {

struct SyncStats {
  BucketHistogram latency_seconds{kLatencySecondsBounds};
  BucketHistogram bytes{kBytesBounds};

  void Record(int64_t nanos, uint64_t durable_bytes) {
    latency_seconds.Record(static_cast<double>(nanos) / 1e9);
    bytes.Record(static_cast<double>(durable_bytes));
  }
};

}  // namespace millstream::storage
