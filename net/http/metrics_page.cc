#include "net/http/metrics_page.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string_view>
#include <utility>

#include "base/utf8.h"
#include "net/kafka/errors.h"
#include "net/kafka/protocol/api_keys.h"

namespace millstream::net::http {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes the text exposition format: every family once, HELP and TYPE first.
class PromText {
 public:
  void Family(const std::string& name, const char* type, const char* help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const Labels& labels, double value) {
    out_ += name;
    WriteLabels(labels);
    out_ += ' ';
    out_ += Number(value);
    out_ += '\n';
  }
  void Histogram(const std::string& name, const Labels& labels, const BucketHistogram& h) {
    const std::vector<double>& bounds = h.bounds();
    for (size_t i = 0; i < bounds.size(); ++i) {
      Labels with = labels;
      with.emplace_back("le", Number(bounds[i]));
      Sample(name + "_bucket", with, static_cast<double>(h.CumulativeCount(i)));
    }
    Labels inf = labels;
    inf.emplace_back("le", "+Inf");
    Sample(name + "_bucket", inf, static_cast<double>(h.count()));
    Sample(name + "_sum", labels, h.sum());
    Sample(name + "_count", labels, static_cast<double>(h.count()));
  }
  std::string Take() { return std::move(out_); }

 private:
  static std::string Number(double v) {
    char buf[64];
    // Integers print without an exponent up to 2^53; the rest keeps 17 digits.
    if (v < 9007199254740992.0 && v > -9007199254740992.0 && v == std::floor(v)) {
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
    } else {
      // The shortest text that reads back as the same double ("0.00025", not
      // "0.00025000000000000001").
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf) - 1, v, std::chars_format::fixed);
      *(ec == std::errc() ? end : buf) = '\0';
    }
    return buf;
  }
  void WriteLabels(const Labels& labels) {
    if (labels.empty()) return;
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      // Label values must be UTF-8 (group ids are whatever bytes a client sent):
      // a byte that does not start a valid sequence becomes U+FFFD.
      std::string_view value = labels[i].second;
      while (!value.empty()) {
        size_t n = Utf8SequenceLength(value);
        if (n == 0) {
          out_ += "\xEF\xBF\xBD";
          n = 1;
        } else if (value[0] == '\\') {  // the format's three escapes
          out_ += "\\\\";
        } else if (value[0] == '"') {
          out_ += "\\\"";
        } else if (value[0] == '\n') {
          out_ += "\\n";
        } else {
          out_.append(value.substr(0, n));
        }
        value.remove_prefix(n);
      }
      out_ += '"';
    }
    out_ += '}';
  }

  std::string out_;
};

// One counter family per field of `Traffic`, each with a sample per topic.
template <typename Traffic>
struct PerTopicCounter {
  const char* name;
  const char* help;
  uint64_t Traffic::*field;
};

template <typename Traffic, size_t N>
void RenderPerTopic(PromText& text, const PerTopicCounter<Traffic> (&counters)[N],
                    const std::map<std::string, Traffic>& by_topic) {
  for (const PerTopicCounter<Traffic>& c : counters) {
    text.Family(c.name, "counter", c.help);
    for (const auto& [topic, t] : by_topic) {
      text.Sample(c.name, {{"topic", topic}}, static_cast<double>(t.*(c.field)));
    }
  }
}

void RenderTraffic(PromText& text, const MetricsSnapshot& s) {
  std::map<std::string, engine::PartitionTraffic> by_topic;
  for (const engine::PartitionStats& p : s.partitions) {
    engine::PartitionTraffic& t = by_topic[p.topic];
    t.produce_batches += p.traffic.produce_batches;
    t.produce_records += p.traffic.produce_records;
    t.produce_bytes += p.traffic.produce_bytes;
  }
  const PerTopicCounter<engine::PartitionTraffic> produce[] = {
      {"millstream_produce_batches_total", "Record batches appended, per topic.",
       &engine::PartitionTraffic::produce_batches},
      {"millstream_produce_records_total", "Records appended, per topic.",
       &engine::PartitionTraffic::produce_records},
      {"millstream_produce_bytes_total", "Record batch bytes appended, per topic.",
       &engine::PartitionTraffic::produce_bytes},
  };
  RenderPerTopic(text, produce, by_topic);
  const PerTopicCounter<kafka::FetchTraffic> fetch[] = {
      {"millstream_fetch_partitions_total", "Partitions answered in Fetch responses, per topic.",
       &kafka::FetchTraffic::partitions},
      {"millstream_fetch_records_total", "Records returned in Fetch responses, per topic.",
       &kafka::FetchTraffic::records},
      {"millstream_fetch_bytes_total", "Record batch bytes returned in Fetch responses, per topic.",
       &kafka::FetchTraffic::bytes},
  };
  RenderPerTopic(text, fetch, s.requests.fetched);
}

void RenderLogs(PromText& text, const MetricsSnapshot& s) {
  auto labels = [](const engine::PartitionStats& p) {
    return Labels{{"topic", p.topic}, {"partition", std::to_string(p.partition)}};
  };
  text.Family("millstream_log_size_bytes", "gauge", "Bytes of the partition's segments on disk.");
  for (const auto& p : s.partitions) text.Sample("millstream_log_size_bytes", labels(p), double(p.disk_bytes));
  text.Family("millstream_log_segments", "gauge", "Segments of the partition on disk.");
  for (const auto& p : s.partitions) text.Sample("millstream_log_segments", labels(p), double(p.segments));
  text.Family("millstream_log_pinned_bytes", "gauge",
              "Bytes pinned checkpoints keep on disk past retention (as of the last retention run).");
  for (const auto& p : s.partitions) text.Sample("millstream_log_pinned_bytes", labels(p), double(p.pinned_bytes));
  text.Family("millstream_log_start_offset", "gauge", "First offset the partition still serves.");
  for (const auto& p : s.partitions) text.Sample("millstream_log_start_offset", labels(p), double(p.log_start));
  text.Family("millstream_log_high_watermark", "gauge", "Offset after the last written record.");
  for (const auto& p : s.partitions) {
    text.Sample("millstream_log_high_watermark", labels(p), double(p.high_watermark));
  }

  BucketHistogram latency(kLatencySecondsBounds);
  BucketHistogram bytes(kBytesBounds);
  for (const auto& p : s.partitions) {
    latency.Merge(p.sync.latency_seconds);
    bytes.Merge(p.sync.bytes);
  }
  text.Family("millstream_fdatasync_duration_seconds", "histogram",
              "Write-and-fdatasync (or fdatasync alone) of a partition log, submission to completion.");
  text.Histogram("millstream_fdatasync_duration_seconds", {}, latency);
  text.Family("millstream_fdatasync_bytes", "histogram",
              "Bytes made durable by one fdatasync (group commit shows as many).");
  text.Histogram("millstream_fdatasync_bytes", {}, bytes);
}

// The memory budgets, pauses and quota throttling (docs/operations.md).
void RenderBackPressure(PromText& text, const kafka::RequestMetrics& r) {
  auto gauge = [&](const char* name, const char* help, uint64_t value) {
    text.Family(name, "gauge", help);
    text.Sample(name, {}, static_cast<double>(value));
  };
  gauge("millstream_request_memory_bytes", "Bytes of Kafka requests read and not yet answered.",
        r.request_memory_bytes);
  gauge("millstream_request_memory_budget_bytes", "--request-memory-budget (the shards' shares added up).",
        r.request_memory_budget_bytes);
  gauge("millstream_request_memory_peak_bytes",
        "The most request bytes each shard held at once since the start, added up over shards.",
        r.request_memory_peak_bytes);
  gauge("millstream_fetch_memory_bytes", "Bytes of fetched records held for answers being built or sent.",
        r.fetch_memory_bytes);
  gauge("millstream_fetch_memory_budget_bytes", "--fetch-memory-budget (the shards' shares added up).",
        r.fetch_memory_budget_bytes);
  text.Family("millstream_kafka_reads_paused_total", "counter",
              "Times a connection stopped being read: memory (the request budget had no room for its "
              "next request) or quota (muted for a throttle time).");
  text.Sample("millstream_kafka_reads_paused_total", {{"reason", "memory"}},
              static_cast<double>(r.reads_paused_for_memory));
  text.Sample("millstream_kafka_reads_paused_total", {{"reason", "quota"}}, static_cast<double>(r.reads_paused_for_quota));
  text.Family("millstream_fetch_out_of_memory_total", "counter",
              "Fetches answered empty: the fetch budget had no room before their max_wait_ms ran out.");
  text.Sample("millstream_fetch_out_of_memory_total", {}, static_cast<double>(r.fetches_out_of_memory));
  const char* directions[2] = {"produce", "fetch"};
  text.Family("millstream_quota_throttled_total", "counter", "Answers that carried a throttle time, per direction.");
  for (size_t i = 0; i < 2; ++i) {
    text.Sample("millstream_quota_throttled_total", {{"direction", directions[i]}},
                static_cast<double>(r.throttled_answers[i]));
  }
  text.Family("millstream_quota_throttle_seconds_total", "counter",
              "Throttle time answered (and muted for), per direction.");
  for (size_t i = 0; i < 2; ++i) {
    text.Sample("millstream_quota_throttle_seconds_total", {{"direction", directions[i]}},
                static_cast<double>(r.throttle_ms[i]) / 1000.0);
  }
}

// The flush scheduler's turns by priority class (docs/operations.md, "Priority classes").
void RenderFlushes(PromText& text, const engine::FlushStats& f) {
  auto per_class = [&](const char* name, const char* help, auto value) {
    text.Family(name, "counter", help);
    for (size_t c = 0; c < storage::kIoClasses; ++c) {
      text.Sample(name, {{"class", engine::PriorityClassName(static_cast<storage::IoClass>(c))}}, value(c));
    }
  };
  per_class("millstream_flushes_total", "Partition log flushes (writes, fdatasyncs) by priority class.",
            [&](size_t c) { return static_cast<double>(f.flushes[c]); });
  per_class("millstream_flushes_waited_total", "Flushes that waited for their turn, by class.",
            [&](size_t c) { return static_cast<double>(f.waited[c]); });
  per_class("millstream_flush_wait_seconds_total", "Time flushes waited for their turn, by class.",
            [&](size_t c) { return static_cast<double>(f.wait_ns[c]) / 1e9; });
}

void RenderKafka(PromText& text, const MetricsSnapshot& s) {
  text.Family("millstream_kafka_connections", "gauge", "Open Kafka client connections.");
  text.Sample("millstream_kafka_connections", {}, s.kafka_connections);
  text.Family("millstream_kafka_connections_accepted_total", "counter",
              "Kafka client connections accepted.");
  text.Sample("millstream_kafka_connections_accepted_total", {},
              static_cast<double>(s.requests.connections_accepted));
  text.Family("millstream_kafka_connections_refused_total", "counter",
              "Kafka connections closed at once: over --max-connections or --max-connections-per-ip.");
  text.Sample("millstream_kafka_connections_refused_total", {}, static_cast<double>(s.requests.connections_refused));
  RenderBackPressure(text, s.requests);
  text.Family("millstream_kafka_requests_total", "counter", "Kafka requests received, per API.");
  for (const auto& [key, n] : s.requests.requests) {
    text.Sample("millstream_kafka_requests_total", {{"api", std::string(kafka::ApiKeyName(key))}},
                static_cast<double>(n));
  }
  text.Family("millstream_kafka_errors_total", "counter",
              "Error codes in Kafka responses (top level, per topic and per partition).");
  for (const auto& [code, n] : s.requests.errors) {
    text.Sample("millstream_kafka_errors_total",
                {{"code", std::to_string(code)}, {"error", std::string(kafka::ErrorName(code))}},
                static_cast<double>(n));
  }
  text.Family("millstream_produce_ack_duration_seconds", "histogram",
              "Produce request to acknowledgement: acks=0 appended, acks=1 written, acks=all durable.");
  const char* levels[] = {"0", "1", "all"};
  for (size_t i = 0; i < 3; ++i) {
    text.Histogram("millstream_produce_ack_duration_seconds", {{"acks", levels[i]}},
                   s.requests.produce_ack_seconds[i]);
  }
}

void RenderGroups(PromText& text, const MetricsSnapshot& s) {
  auto labels = [](const MetricsSnapshot::GroupLag& g) {
    return Labels{{"group", g.group}, {"topic", g.lag.topic}, {"partition", std::to_string(g.lag.partition)}};
  };
  text.Family("millstream_consumer_group_lag", "gauge",
              "Records between a group's committed offset and the partition's high watermark.");
  for (const auto& g : s.group_lag) text.Sample("millstream_consumer_group_lag", labels(g), double(g.lag.lag));
  text.Family("millstream_consumer_group_committed_offset", "gauge", "A group's committed offset.");
  for (const auto& g : s.group_lag) {
    text.Sample("millstream_consumer_group_committed_offset", labels(g), double(g.lag.committed));
  }
}

void RenderHttp(PromText& text, const MetricsSnapshot& s) {
  text.Family("millstream_webhook_requests_total", "counter",
              "Webhook produce requests by result: appended, replayed (idempotency key), "
              "rejected (4xx), failed (5xx).");
  const std::pair<const char*, uint64_t> results[] = {{"appended", s.webhooks.appended},
                                                       {"replayed", s.webhooks.replayed},
                                                       {"rejected", s.webhooks.rejected},
                                                       {"failed", s.webhooks.failed}};
  for (const auto& [result, n] : results) {
    text.Sample("millstream_webhook_requests_total", {{"result", result}}, static_cast<double>(n));
  }
  text.Family("millstream_webhook_records_total", "counter", "Records appended by webhook produce.");
  text.Sample("millstream_webhook_records_total", {}, static_cast<double>(s.webhooks.records));
  text.Family("millstream_idempotency_keys_lost_total", "counter",
              "Webhook requests answered whose idempotency key could not be stored (a repeat appends again).");
  text.Sample("millstream_idempotency_keys_lost_total", {}, static_cast<double>(s.webhooks.keys_lost));
  text.Family("millstream_idempotency_keys", "gauge", "Idempotency keys remembered (within the window).");
  text.Sample("millstream_idempotency_keys", {}, static_cast<double>(s.idempotency_keys));
}

}  // namespace

ProcessMemory ReadProcessMemory() {
  ProcessMemory memory;
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_virtual = 0, pages_resident = 0;
  if (statm >> pages_virtual >> pages_resident) {
    auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    memory.virtual_bytes = pages_virtual * page;
    memory.resident_bytes = pages_resident * page;
  }
  return memory;
}

std::string RenderMetrics(const MetricsSnapshot& snapshot) {
  PromText text;
  RenderTraffic(text, snapshot);
  RenderLogs(text, snapshot);
  RenderKafka(text, snapshot);
  RenderFlushes(text, snapshot.flush);
  RenderGroups(text, snapshot);
  RenderHttp(text, snapshot);
  text.Family("millstream_disk_free_bytes", "gauge", "Free bytes on the data directory's file system (last check).");
  text.Sample("millstream_disk_free_bytes", {}, static_cast<double>(snapshot.disk_free_bytes));
  text.Family("millstream_produce_refused_for_space", "gauge",
              "1 while produce is refused because free space is below --min-free-bytes.");
  text.Sample("millstream_produce_refused_for_space", {}, snapshot.produce_refused_for_space ? 1 : 0);
  // The standard process families, as the Prometheus client libraries name them.
  text.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  text.Sample("process_resident_memory_bytes", {}, static_cast<double>(snapshot.memory.resident_bytes));
  text.Family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  text.Sample("process_virtual_memory_bytes", {}, static_cast<double>(snapshot.memory.virtual_bytes));
  return text.Take();
}

}  // namespace millstream::net::http
