#include "net/http/api_context.h"

namespace millstream::net::http {

namespace {

Task<std::vector<engine::PartitionStats>> StatsHere(const engine::Broker* broker, const engine::Shard* shard) {
  co_return broker->CollectStats(*shard);
}

}  // namespace

std::vector<engine::PartitionStats> ApiContext::PartitionStatsOfAllShards() {
  std::vector<engine::PartitionStats> all;
  engine::Broker* b = &broker;
  for (size_t i = 0; i < broker.shard_count(); ++i) {
    std::function<Task<std::vector<engine::PartitionStats>>(engine::Shard&)> take =
        [b](engine::Shard& shard) { return StatsHere(b, &shard); };
    std::optional<std::vector<engine::PartitionStats>> stats = OnShard(i, std::move(take));
    if (!stats) continue;
    for (engine::PartitionStats& p : *stats) all.push_back(std::move(p));
  }
  return all;
}

}  // namespace millstream::net::http
