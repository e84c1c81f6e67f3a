// The shape of a Kafka API handler (STYLE.md section 8) and the single list of
// handlers that drives both dispatch and the ApiVersions answer, so nothing is
// advertised that is not implemented.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/task.h"
#include "base/turns.h"
#include "engine/broker.h"
#include "engine/memory_budget.h"
#include "engine/quotas.h"
#include "engine/shard.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/header.h"
#include "net/kafka/request_metrics.h"

namespace millstream::net::kafka {

// Settings a handler needs beyond the broker.
struct ServerInfo {
  int32_t node_id = 0;
  std::string advertised_host = "127.0.0.1";
  int32_t advertised_port = 9092;
  std::string cluster_id = "millstream";
};

// Everything one request's handler may use. Lives until the handler finishes.
struct RequestContext {
  engine::Broker& broker;
  engine::Shard& shard;  // the connection's shard, where the handler runs
  const ServerInfo& server;
  const RequestHeader& header;
  // The connection's order of requests: a handler whose effects must follow that
  // order (Produce's appends) waits for its turn and finishes it as soon as those
  // effects are done. The connection finishes the turn anyway when the handler ends.
  Turns& turns;
  uint64_t turn;
  std::string_view client_host;  // the peer's address, as DescribeGroups shows it
  RequestMetrics& metrics;       // the shard's counters
  engine::MemoryBudget& fetch_budget;  // the shard's bound on fetched bytes held
  engine::Quotas& quotas;
  // True once the connection is closed (nothing more will be sent): a handler
  // that waits for something may give up.
  const bool& connection_closed;
  // Set by the handler: mute the connection this long after answering (a quota's
  // throttle time, KIP-219).
  int32_t mute_ms = 0;
  // Set by the handler: bytes of fetch_budget its answer holds, given back by the
  // connection once the answer was sent.
  size_t answer_budgeted = 0;
};

// A quota throttled this request: its answer carries `throttle_ms` (the caller
// sets it in the response), the connection is muted that long after answering,
// and the shard counts it by direction.
inline void MuteForThrottle(RequestContext& context, engine::QuotaDirection direction, int32_t throttle_ms) {
  context.mute_ms = throttle_ms;
  auto d = static_cast<size_t>(direction);
  ++context.metrics.throttled_answers[d];
  context.metrics.throttle_ms[d] += static_cast<uint64_t>(throttle_ms);
}

// A handler decodes its request from `body`, does the work, and returns the whole
// encoded response frame, or nullopt when the protocol sends none (acks=0).
// An error Status means the request could not be decoded or answered: the
// connection is closed, as the Java broker does.
using HandlerFn = Task<Result<std::optional<std::vector<std::byte>>>> (*)(RequestContext& context,
                                                                         ConstBytes body);

struct HandlerEntry {
  ApiKey key;
  int16_t min_version;
  int16_t max_version;
  HandlerFn handle;
};

// Every implemented API, ordered by key.
std::span<const HandlerEntry> Handlers();
const HandlerEntry* FindHandler(ApiKey key);

// One declaration per handler; each is defined in handlers/<api>.cc.
Task<Result<std::optional<std::vector<std::byte>>>> HandleApiVersions(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleMetadata(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleProduce(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleFetch(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleListOffsets(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleCreateTopics(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleDeleteTopics(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleInitProducerId(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleDescribeConfigs(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleAlterConfigs(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleDeleteRecords(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleFindCoordinator(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleJoinGroup(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleSyncGroup(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleHeartbeat(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleLeaveGroup(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleOffsetCommit(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleOffsetFetch(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleListGroups(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleDescribeGroups(RequestContext&, ConstBytes);
Task<Result<std::optional<std::vector<std::byte>>>> HandleDeleteGroups(RequestContext&, ConstBytes);

using HandlerResult = Result<std::optional<std::vector<std::byte>>>;

}  // namespace millstream::net::kafka
