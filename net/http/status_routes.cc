// GET /metrics, /api/v1/health, /api/v1/ready and /api/v1/config.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "net/http/json_reply.h"
#include "net/http/routes.h"

namespace millstream::net::http {

namespace {

struct ShardSnapshot {
  std::vector<engine::PartitionStats> partitions;
  kafka::RequestMetrics requests;
  size_t idempotency_keys = 0;
  engine::FlushStats flush;
};

Task<ShardSnapshot> SnapshotHere(const engine::Broker* broker, const KafkaServer* kafka,
                                 const engine::IdempotencyStore* keys, const engine::Shard* shard) {
  ShardSnapshot out;
  if (keys != nullptr && shard->id() == 0) out.idempotency_keys = keys->size();  // shard 0's
  out.partitions = broker->CollectStats(*shard);
  out.flush = shard->flush_scheduler().stats();
  if (kafka != nullptr) out.requests = kafka->CollectMetrics(static_cast<size_t>(shard->id()));
  co_return out;
}

Task<std::vector<MetricsSnapshot::GroupLag>> LagHere(engine::Broker* broker, engine::Shard* shard) {
  std::vector<MetricsSnapshot::GroupLag> out;
  std::vector<engine::GroupListing> groups = co_await broker->groups().List(*shard);
  for (const engine::GroupListing& g : groups) {
    std::vector<engine::Broker::PartitionLag> lags = co_await broker->GroupLag(*shard, g.group_id);
    for (engine::Broker::PartitionLag& lag : lags) out.push_back({g.group_id, std::move(lag)});
  }
  co_return out;
}

// One short turn on every shard for its partitions and counters, then the groups'
// lag from one shard (the coordinator hops to each group's own shard).
std::optional<MetricsSnapshot> Collect(ApiContext& context) {
  MetricsSnapshot snapshot;
  engine::Broker* broker = &context.broker;
  const KafkaServer* kafka = context.kafka;
  const engine::IdempotencyStore* keys = context.keys;
  for (size_t i = 0; i < broker->shard_count(); ++i) {
    std::function<Task<ShardSnapshot>(engine::Shard&)> take = [broker, kafka, keys](engine::Shard& shard) {
      return SnapshotHere(broker, kafka, keys, &shard);
    };
    std::optional<ShardSnapshot> part = context.OnShard(i, std::move(take));
    if (!part) return std::nullopt;
    for (engine::PartitionStats& p : part->partitions) snapshot.partitions.push_back(std::move(p));
    snapshot.requests.Merge(part->requests);
    snapshot.idempotency_keys += part->idempotency_keys;
    snapshot.flush.Merge(part->flush);
  }
  std::sort(snapshot.partitions.begin(), snapshot.partitions.end(),
            [](const auto& a, const auto& b) { return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition); });
  std::function<Task<std::vector<MetricsSnapshot::GroupLag>>(engine::Shard&)> lag =
      [broker](engine::Shard& shard) { return LagHere(broker, &shard); };
  std::optional<std::vector<MetricsSnapshot::GroupLag>> lags = context.OnShard(std::move(lag));
  if (!lags) return std::nullopt;
  snapshot.group_lag = std::move(*lags);
  snapshot.kafka_connections = kafka != nullptr ? kafka->connection_count() : 0;
  snapshot.webhooks = {context.webhooks.appended.load(), context.webhooks.replayed.load(),
                       context.webhooks.rejected.load(), context.webhooks.failed.load(),
                       context.webhooks.records.load(), context.webhooks.keys_lost.load()};
  snapshot.memory = ReadProcessMemory();
  snapshot.disk_free_bytes = broker->disk_free_bytes();
  snapshot.produce_refused_for_space = broker->produce_refused_for_space();
  return snapshot;
}

}  // namespace

void AddStatusRoutes(Routes& routes, ApiContext& context) {
  routes.Add("GET", "/metrics", [&context](const httplib::Request&, httplib::Response& res) {
    std::optional<MetricsSnapshot> snapshot = Collect(context);
    if (!snapshot) return ReplyError(res, 503, "stopping", "the broker is stopping");
    res.set_content(RenderMetrics(*snapshot), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Liveness: the process answers.
  routes.Add("GET", "/api/v1/health", [](const httplib::Request&, httplib::Response& res) {
    ReplyJson(res, 200, {{"status", "ok"}});
  });
  // Readiness: every shard takes work (a round trip through each inbox).
  routes.Add("GET", "/api/v1/ready", [&context](const httplib::Request&, httplib::Response& res) {
    for (size_t i = 0; i < context.broker.shard_count(); ++i) {
      std::function<Task<bool>(engine::Shard&)> ping = [](engine::Shard&) -> Task<bool> { co_return true; };
      if (!context.OnShard(i, std::move(ping))) {
        return ReplyJson(res, 503, {{"ready", false}, {"reason", "the broker is stopping"}});
      }
    }
    ReplyJson(res, 200, {{"ready", true}, {"shards", context.broker.shard_count()}});
  });
  routes.Add("GET", "/api/v1/config", [&context](const httplib::Request&, httplib::Response& res) {
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& [key, value] : context.config.settings) settings[key] = value;
    nlohmann::json defaults = nlohmann::json::object();
    for (const auto& [key, value] : context.broker.config().topic_defaults.ToMap()) defaults[key] = value;
    ReplyJson(res, 200, {{"settings", settings}, {"topic_defaults", defaults}});
  });
}

}  // namespace millstream::net::http
