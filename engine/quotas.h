// Quotas: byte-rate limits per client id and per topic, for produce and for fetch,
// with Kafka's semantics (KIP-13, KIP-219): a request over its quota is still
// served, its answer carries throttle_time_ms, and the broker reads nothing more
// from that connection for that long, so a client slows down without errors.
// docs/operations.md ("Quotas") has the rules and examples.
//
// Each quota is a token bucket: it fills at the quota's rate up to one second's
// worth; a request takes its bytes from it and may leave it in debt, and the
// throttle time is how long the rate takes to pay the debt back. A request that
// touches several quotas (its client's, each topic's) is throttled by the
// longest.
//
// Threading: one object for the broker, used by every shard. A client's
// connections may land on different shards, and a quota is the client's, not a
// connection's: the buckets sit behind one mutex, held for a map look-up and
// some arithmetic per request. With no quota configured nothing is locked.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace millstream::engine {

enum class QuotaEntity { kClient, kTopic };
enum class QuotaDirection { kProduce, kFetch };

// One configured quota. `name` is a client id or a topic; "*" gives each client
// id (or topic) that no rule names its own bucket at this rate.
struct QuotaRule {
  QuotaEntity entity = QuotaEntity::kClient;
  std::string name;
  QuotaDirection direction = QuotaDirection::kProduce;
  uint64_t bytes_per_second = 0;
};

// "client:NAME:produce=BYTES" or "topic:NAME:fetch=BYTES" (bytes per second).
// InvalidArgument names what is wrong.
Result<QuotaRule> ParseQuotaRule(std::string_view text);

// The bytes of one request per topic.
using TopicBytes = std::vector<std::pair<std::string_view, size_t>>;

class Quotas {
 public:
  // The longest throttle answered at once; a larger debt is throttled again on the
  // next request (Kafka caps it at its quota window the same way).
  static constexpr int32_t kMaxThrottleMs = 10'000;

  // `clock` is borrowed and must outlive the object.
  Quotas(std::vector<QuotaRule> rules, const Clock& clock);
  Quotas(const Quotas&) = delete;
  Quotas& operator=(const Quotas&) = delete;

  bool any(QuotaDirection direction) const { return any_[static_cast<int>(direction)]; }

  // Takes the bytes of one request from the client's quota and each topic's;
  // returns the throttle time in ms, 0 when every bucket is out of debt.
  int32_t Record(QuotaDirection direction, std::string_view client_id, const TopicBytes& topics);
  // The throttle time the client and topics owe now, recording nothing: a fetch
  // that owes is answered empty (Kafka does the same).
  int32_t Owed(QuotaDirection direction, std::string_view client_id, const TopicBytes& topics);

 private:
  struct Bucket {
    double rate = 0;    // bytes per second
    double tokens = 0;  // may go negative: the debt
    int64_t refilled_ns = 0;
  };
  // Looks up, or creates from a rule, the bucket of (entity, name) in `direction`;
  // nullptr when no rule covers it.
  Bucket* Find(QuotaDirection direction, QuotaEntity entity, std::string_view name);
  void Refill(Bucket& bucket, int64_t now_ns) const;
  int32_t Charge(QuotaDirection direction, std::string_view client_id, const TopicBytes& topics,
                 bool take);

  const Clock& clock_;
  std::vector<QuotaRule> rules_;
  bool any_[2] = {false, false};
  std::mutex mu_;
  // (direction, entity, name) → bucket.
  std::map<std::tuple<int, int, std::string>, Bucket, std::less<>> buckets_;
};

}  // namespace millstream::engine
