// BurstRun: one run of a burst scenario against a broker, through real
// librdkafka clients: one idempotent producer per source system, priority class
// and instance, one consumer group per consuming system, an optional connection storm,
// and a sampler that reads the broker's /metrics every second. Every record
// carries its stream and sequence number and the time it was due, so the
// consumers check that every acknowledged record arrives exactly once and
// measure end-to-end latency. The timeline it fills, one entry per second, is
// what the report (burst_report.h) turns into JSON, a plot and the goals.
//
// Threads: one per producer, per consumer group, the sampler and the storm;
// they meet only in the run's shared state (burst_run.cc, `Shared`), behind its
// mutex; librdkafka's callbacks run inside the polls of the threads that own
// the clients.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/latency_histogram.h"
#include "base/status.h"
#include "engine/topic_config.h"
#include "tools/admin_client.h"
#include "tools/burst_scenario.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

// Priority classes by index, as storage::IoClass numbers them (0 critical,
// 1 standard, 2 bulk), named as the topic setting names them.
int ClassIndex(const std::string& priority_class);
inline const char* ClassName(size_t index) { return engine::PriorityClassName(static_cast<storage::IoClass>(index)); }

struct BurstSecond {
  int64_t offered_records = 0, offered_bytes = 0;
  int64_t acked_records = 0, acked_bytes = 0;
  int64_t expected_reads = 0;  // acked records times the groups that read them (for the lag)
  int64_t consumed_records = 0, consumed_bytes = 0;
  int64_t failed_records = 0;  // delivery reports with an error
  int64_t throttle_ms = 0;     // throttle time the broker answered the producers
  std::array<LatencyHistogram, 3> ack_ns;  // by class, from the time each record was due
  LatencyHistogram end_to_end_ns;          // due → consumed
  // From the broker's /metrics (-1 when not sampled).
  double rss_bytes = -1, request_memory_bytes = -1, fetch_memory_bytes = -1, refused = -1;
  int storm_open = 0;  // storm connections the broker answered and that are still open
};

struct BurstRunOptions {
  ClientOptions client;
  AdminOptions admin;       // the broker's HTTP listener, for /metrics
  bool sample_metrics = true;
  std::string topic_prefix;  // prepended to every topic and group name of the run
  bool priority_classes = true;  // false: every topic standard
  double capacity_bytes_per_s = 0;  // 0: measure (the probe)
  double scale = 1;                 // multiplies every rate
  double duration_s = 0;            // 0: the scenario's
  double probe_s = 0;               // 0: the scenario's
  bool keep_topics = false;
};

struct BurstRunResult {
  std::string label;  // "classes" or "one class"
  double capacity_bytes_per_s = 0;
  double probe_seconds = 0;
  bool probe_saturated = false;  // false: the probe never outran the broker (capacity is a lower bound)
  double duration_s = 0;
  std::vector<BurstSecond> seconds;
  std::vector<std::string> phase_of_second;  // the scenario phase each second belongs to
  std::vector<bool> surge_second;
  int64_t acked = 0, lost = 0, duplicates = 0, failed = 0;
  double baseline_rss_bytes = -1;  // before the probe, with the topics open
  double request_budget_bytes = -1, fetch_budget_bytes = -1;
  int storm_answered = 0, storm_refused = 0;
  std::string error;  // a run that could not complete
};

// Creates the topics, measures the capacity (unless given), runs the scenario,
// drains, checks the sequences, deletes the topics (unless kept).
BurstRunResult RunBurst(const BurstScenario& scenario, const BurstRunOptions& options);

// Deletes the topics a run with `options` created.
void DeleteBurstTopics(const BurstScenario& scenario, const BurstRunOptions& options);

}  // namespace millstream::tools
