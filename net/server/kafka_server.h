// KafkaServer: the Kafka listener. Every shard has its own listening socket on the
// same address (SO_REUSEPORT), so the kernel spreads connections over the shards,
// and each shard accepts and serves its connections on its own ring.
//
// Lifecycle: Start() (binds; port 0 picks a free port, reported by port()) →
// Stop() (stops accepting, stops reading, lets requests already read finish and
// answer, waits until every connection ended). The broker outlives the server.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "engine/broker.h"
#include "engine/memory_budget.h"
#include "engine/quotas.h"
#include "net/kafka/handler.h"
#include "net/server/connection.h"
#include "net/server/connection_admission.h"

namespace millstream::net {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 9092;
  kafka::ServerInfo info;  // advertised_port 0: the port actually bound
  ConnectionLimits limits;
  AdmissionLimits admission;
  // Bytes of requests read and not yet answered, for all shards together (each
  // shard enforces its equal share; engine/memory_budget.h has the rule).
  size_t request_memory_budget = 256u << 20;
  // Bytes of fetched records held for answers being built or sent, all shards.
  size_t fetch_memory_budget = 128u << 20;
  std::vector<engine::QuotaRule> quotas;
};

class KafkaServer {
 public:
  static Result<std::unique_ptr<KafkaServer>> Start(engine::Broker& broker, ServerConfig config);
  ~KafkaServer();
  int port() const { return port_; }
  void Stop();

  // Open connections, on every shard.
  int connection_count() const { return live_connections_; }
  // A copy of shard `shard_index`'s request counters. Call on that shard's thread.
  kafka::RequestMetrics CollectMetrics(size_t shard_index) const;

 private:
  struct ShardState {
    int listen_fd = -1;
    std::vector<std::weak_ptr<Connection>> connections;  // touched on the shard only
    kafka::RequestMetrics metrics;                        // touched on the shard only
    int64_t last_refusal_log_ns = -1'000'000'000'000;     // touched on the shard only
    std::unique_ptr<engine::MemoryBudget> request_budget;  // touched on the shard only
    std::unique_ptr<engine::MemoryBudget> fetch_budget;    // touched on the shard only
  };
  KafkaServer(engine::Broker& broker, ServerConfig config)
      : broker_(broker),
        config_(std::move(config)),
        admission_(config_.admission),
        quotas_(config_.quotas, SystemClock::Instance()) {}
  static Task<void> AcceptLoop(KafkaServer* server, size_t shard_index);

  engine::Broker& broker_;
  ServerConfig config_;
  ConnectionAdmission admission_;
  engine::Quotas quotas_;
  int port_ = 0;
  std::vector<ShardState> shards_;
  std::atomic<int> live_connections_{0};
  std::atomic<int> accept_loops_{0};
  std::atomic<bool> stopped_{false};  // set by Stop() on its thread, read by the shards
};

}  // namespace millstream::net
