// What every HTTP route needs: the broker and its Kafka listener, the HTTP
// settings, the webhook idempotency keys, and the way onto the shards. Routes run
// on cpp-httplib's worker threads, never on a shard: whatever touches the engine
// runs there through OnShard, which blocks this worker (not a shard) until done.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "engine/broker.h"
#include "engine/idempotency_store.h"
#include "net/http/metrics_page.h"
#include "net/server/kafka_server.h"

namespace millstream::net::http {

struct HttpConfig {
  std::string host = "127.0.0.1";
  int port = 9644;  // 0: any free port
  // Bearer token that requests which change anything must carry; empty: none needed.
  std::string admin_token;
  size_t max_body_bytes = 1u << 20;
  int64_t idempotency_window_ms = 24ll * 3600 * 1000;
  int worker_threads = 4;
  // What GET /api/v1/config shows: the broker's settings by their flag names.
  std::map<std::string, std::string> settings;
};

struct ApiContext {
  engine::Broker& broker;
  KafkaServer* kafka;  // null when the broker runs without a Kafka listener (tests)
  const HttpConfig& config;
  engine::IdempotencyStore* keys = nullptr;  // lives on shard 0
  std::atomic<uint64_t> next_shard{0};
  std::atomic<uint64_t> next_sticky_partition{0};  // webhook records without a key
  struct {
    std::atomic<uint64_t> appended{0}, replayed{0}, rejected{0}, failed{0}, records{0}, keys_lost{0};
  } webhooks;

  // Runs `work` on a shard (round robin) and waits; nullopt when the broker is stopping.
  template <typename T>
  std::optional<T> OnShard(std::function<Task<T>(engine::Shard&)> work) {
    size_t i = next_shard.fetch_add(1, std::memory_order_relaxed) % broker.shard_count();
    return engine::CallOnShard<T>(broker.shard(i), std::move(work));
  }
  template <typename T>
  std::optional<T> OnShard(size_t index, std::function<Task<T>(engine::Shard&)> work) {
    return engine::CallOnShard<T>(broker.shard(index), std::move(work));
  }

  // Broker::CollectStats of every shard, one short task on each (a shard that is
  // stopping is left out).
  std::vector<engine::PartitionStats> PartitionStatsOfAllShards();
};

}  // namespace millstream::net::http
