#include "engine/quotas.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace millstream::engine {

namespace {

// Idle buckets of "*" rules are dropped past this many, so that many short-lived
// client ids cannot grow the map without bound.
constexpr size_t kMaxBuckets = 10'000;

}  // namespace

Result<QuotaRule> ParseQuotaRule(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("quota \"" + std::string(text) + "\": " + std::string(why) +
                           " (expected client|topic:NAME:produce|fetch=BYTES_PER_SECOND)");
  };
  size_t first = text.find(':');
  size_t last = text.rfind(':');
  size_t equals = text.rfind('=');
  if (first == std::string_view::npos || last == first || equals == std::string_view::npos || equals < last) {
    return bad("not in the form");
  }
  QuotaRule rule;
  std::string_view entity = text.substr(0, first);
  if (entity == "client") {
    rule.entity = QuotaEntity::kClient;
  } else if (entity == "topic") {
    rule.entity = QuotaEntity::kTopic;
  } else {
    return bad("the kind must be client or topic");
  }
  rule.name = std::string(text.substr(first + 1, last - first - 1));
  if (rule.name.empty()) return bad("the name is empty");
  std::string_view direction = text.substr(last + 1, equals - last - 1);
  if (direction == "produce") {
    rule.direction = QuotaDirection::kProduce;
  } else if (direction == "fetch") {
    rule.direction = QuotaDirection::kFetch;
  } else {
    return bad("the direction must be produce or fetch");
  }
  std::string_view rate = text.substr(equals + 1);
  auto [end, ec] = std::from_chars(rate.data(), rate.data() + rate.size(), rule.bytes_per_second);
  if (ec != std::errc() || end != rate.data() + rate.size() || rule.bytes_per_second == 0) {
    return bad("the rate must be a positive number of bytes per second");
  }
  return rule;
}

Quotas::Quotas(std::vector<QuotaRule> rules, const Clock& clock) : clock_(clock), rules_(std::move(rules)) {
  for (const QuotaRule& rule : rules_) any_[static_cast<int>(rule.direction)] = true;
}

int32_t Quotas::Record(QuotaDirection direction, std::string_view client_id, const TopicBytes& topics) {
  if (!any(direction)) return 0;
  return Charge(direction, client_id, topics, /*take=*/true);
}

int32_t Quotas::Owed(QuotaDirection direction, std::string_view client_id, const TopicBytes& topics) {
  if (!any(direction)) return 0;
  return Charge(direction, client_id, topics, /*take=*/false);
}

int32_t Quotas::Charge(QuotaDirection direction, std::string_view client_id, const TopicBytes& topics,
                       bool take) {
  std::lock_guard lock(mu_);
  int64_t now = clock_.MonotonicNanos();
  double longest_ms = 0;
  auto charge = [&](Bucket* bucket, size_t bytes) {
    if (bucket == nullptr) return;
    Refill(*bucket, now);
    if (take) bucket->tokens -= static_cast<double>(bytes);
    if (bucket->tokens < 0) longest_ms = std::max(longest_ms, -bucket->tokens / bucket->rate * 1000.0);
  };
  size_t total = 0;
  for (const auto& [topic, bytes] : topics) {
    total += bytes;
    charge(Find(direction, QuotaEntity::kTopic, topic), bytes);
  }
  charge(Find(direction, QuotaEntity::kClient, client_id), total);
  return static_cast<int32_t>(std::min<double>(std::ceil(longest_ms), kMaxThrottleMs));
}

void Quotas::Refill(Bucket& bucket, int64_t now_ns) const {
  double seconds = static_cast<double>(now_ns - bucket.refilled_ns) / 1e9;
  // At most one second's worth is saved up: a quiet client may burst that much.
  bucket.tokens = std::min(bucket.rate, bucket.tokens + seconds * bucket.rate);
  bucket.refilled_ns = now_ns;
}

Quotas::Bucket* Quotas::Find(QuotaDirection direction, QuotaEntity entity, std::string_view name) {
  auto key = std::make_tuple(static_cast<int>(direction), static_cast<int>(entity), std::string(name));
  auto found = buckets_.find(key);
  if (found != buckets_.end()) return &found->second;
  const QuotaRule* named = nullptr;
  const QuotaRule* wildcard = nullptr;
  for (const QuotaRule& rule : rules_) {
    if (rule.direction != direction || rule.entity != entity) continue;
    if (rule.name == name) named = &rule;
    if (rule.name == "*") wildcard = &rule;
  }
  const QuotaRule* rule = named != nullptr ? named : wildcard;
  if (rule == nullptr) return nullptr;
  if (buckets_.size() >= kMaxBuckets) {
    int64_t now = clock_.MonotonicNanos();
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      Refill(it->second, now);
      // A full bucket is one nobody owes: forgetting it changes nothing.
      it = it->second.tokens >= it->second.rate ? buckets_.erase(it) : std::next(it);
    }
  }
  Bucket bucket;
  bucket.rate = static_cast<double>(rule->bytes_per_second);
  bucket.tokens = bucket.rate;
  bucket.refilled_ns = clock_.MonotonicNanos();
  return &buckets_.emplace(std::move(key), bucket).first->second;
}

}  // namespace millstream::engine
