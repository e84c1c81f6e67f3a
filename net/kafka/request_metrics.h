// RequestMetrics: what the Kafka side of one shard counts, for /metrics: accepted
// connections, requests
// by API, responses by the error codes they carry, and how long produce requests
// took to be acknowledged, per acks level. One per shard, touched only on its
// thread (a scrape copies it there, see HttpServer), so counting is plain
// arithmetic on the request path.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "base/bucket_histogram.h"
#include "net/kafka/protocol/api_keys.h"

namespace millstream::net::kafka {

// What Fetch answered for one topic (counted from each answer sent, so a long
// poll that read a partition several times counts once).
struct FetchTraffic {
  uint64_t partitions = 0;  // partitions answered (with or without records)
  uint64_t records = 0;
  uint64_t bytes = 0;  // RecordBatch bytes, as stored
};

struct RequestMetrics {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over --max-connections or --max-connections-per-ip
  // Times a connection stopped being read: its next frame did not fit the
  // request memory budget, or a quota muted it.
  uint64_t reads_paused_for_memory = 0;
  uint64_t reads_paused_for_quota = 0;
  // Fetches answered empty because the fetch budget had no room until max_wait_ms.
  uint64_t fetches_out_of_memory = 0;
  // Throttled answers and their throttle time, by engine::QuotaDirection (produce, fetch).
  std::array<uint64_t, 2> throttled_answers{};
  std::array<uint64_t, 2> throttle_ms{};
  // The shard's budgets, filled in by the server when collected (gauges).
  uint64_t request_memory_bytes = 0;
  uint64_t request_memory_peak_bytes = 0;
  uint64_t request_memory_budget_bytes = 0;
  uint64_t fetch_memory_bytes = 0;
  uint64_t fetch_memory_budget_bytes = 0;
  std::map<std::string, FetchTraffic> fetched;  // by topic
  std::map<ApiKey, uint64_t> requests;
  std::map<int16_t, uint64_t> errors;  // error code → error_code fields answered with it
  // From the start of the produce handler to its response: acks=0 (appended; no
  // response is sent), acks=1 (written), acks=all (durable).
  std::array<BucketHistogram, 3> produce_ack_seconds{BucketHistogram(kLatencySecondsBounds),
                                                     BucketHistogram(kLatencySecondsBounds),
                                                     BucketHistogram(kLatencySecondsBounds)};

  void Merge(const RequestMetrics& other) {
    connections_accepted += other.connections_accepted;
    connections_refused += other.connections_refused;
    reads_paused_for_memory += other.reads_paused_for_memory;
    reads_paused_for_quota += other.reads_paused_for_quota;
    fetches_out_of_memory += other.fetches_out_of_memory;
    for (size_t i = 0; i < 2; ++i) {
      throttled_answers[i] += other.throttled_answers[i];
      throttle_ms[i] += other.throttle_ms[i];
    }
    request_memory_bytes += other.request_memory_bytes;
    request_memory_peak_bytes += other.request_memory_peak_bytes;
    request_memory_budget_bytes += other.request_memory_budget_bytes;
    fetch_memory_bytes += other.fetch_memory_bytes;
    fetch_memory_budget_bytes += other.fetch_memory_budget_bytes;
    for (const auto& [topic, t] : other.fetched) {
      FetchTraffic& mine = fetched[topic];
      mine.partitions += t.partitions;
      mine.records += t.records;
      mine.bytes += t.bytes;
    }
    for (const auto& [key, n] : other.requests) requests[key] += n;
    for (const auto& [code, n] : other.errors) errors[code] += n;
    for (size_t i = 0; i < produce_ack_seconds.size(); ++i) {
      produce_ack_seconds[i].Merge(other.produce_ack_seconds[i]);
    }
  }
};

}  // namespace millstream::net::kafka
