// The /metrics page: a snapshot of what the broker counts (taken by HttpServer,
// one short turn on every shard) and its rendering in the Prometheus text
// exposition format (version 0.0.4). Names follow Prometheus conventions:
// `millstream_` prefix, base units in the name (`_seconds`, `_bytes`), `_total`
// on counters. docs/http-api.md lists every family.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/broker.h"
#include "engine/partition_stats.h"
#include "net/kafka/request_metrics.h"

namespace millstream::net::http {

// What the webhook endpoint did, counted by HttpServer.
struct WebhookCounters {
  uint64_t appended = 0;   // requests whose records were appended
  uint64_t replayed = 0;   // repeats answered from an idempotency key
  uint64_t rejected = 0;   // answered 4xx
  uint64_t failed = 0;     // answered 5xx
  uint64_t records = 0;    // records appended
  uint64_t keys_lost = 0;  // idempotency keys that could not be stored after a request
};

struct ProcessMemory {
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
};

struct MetricsSnapshot {
  std::vector<engine::PartitionStats> partitions;  // every partition of every shard
  kafka::RequestMetrics requests;                  // merged over the shards
  int kafka_connections = 0;
  struct GroupLag {
    std::string group;
    engine::Broker::PartitionLag lag;
  };
  std::vector<GroupLag> group_lag;
  WebhookCounters webhooks;
  size_t idempotency_keys = 0;
  ProcessMemory memory;
  uint64_t disk_free_bytes = 0;
  bool produce_refused_for_space = false;
  engine::FlushStats flush;  // added up over the shards
};

// The process's memory from /proc/self/statm (zeros where it cannot be read).
ProcessMemory ReadProcessMemory();

std::string RenderMetrics(const MetricsSnapshot& snapshot);

}  // namespace millstream::net::http
