// `millstream bench produce|consume`: load generators built on librdkafka, the
// client most Kafka users run (directly or under kcat, confluent-kafka-python,
// node-rdkafka). They measure what a client sees, broker and network included.
//
// produce: records of --record-bytes random (incompressible) bytes, no key, to
// --topic (created with --partitions if missing), at --acks, for --duration
// seconds or --records records, as fast as librdkafka takes them or at --rate
// records/s. Ack latency is from the moment a record was due (its slot in the
// --rate schedule, or the produce call) to its delivery report, so a client that
// falls behind its schedule counts the wait (no coordinated omission).
// consume: reads --topic from the earliest offset of every partition with
// librdkafka's consumer (no group) until --records or the end of every partition,
// whichever comes first.
//
// Both print one line on stderr and, with --json FILE ('-' for stdout), one JSON
// object; bench/README.md documents its fields. Exit 1 when any record failed.
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "base/clock.h"
#include "base/latency_histogram.h"
#include "tools/bench_burst.h"
#include "tools/bench_group.h"
#include "tools/commands.h"
#include "tools/kafka_admin.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

namespace {


// The project's monotonic clock (base/clock.h), in nanoseconds.
int64_t NowNs() { return SystemClock::Instance().MonotonicNanos(); }

struct BenchOptions {
  ClientOptions client;
  std::string topic = "bench";
  int partitions = 1;
  int record_bytes = 1024;
  std::string acks = "all";
  double duration_s = 10;
  int64_t records = 0;  // 0: run for --duration (produce) or to the end (consume)
  double rate = 0;      // records/s; 0: as fast as possible
  int linger_ms = 5;
  bool idempotent = false;
  std::string json_path;  // empty: no JSON
};

// What a run measured; filled on the main thread (librdkafka calls the delivery
// callback from rd_kafka_poll and rd_kafka_flush), so it needs no lock.
struct Measurement {
  int64_t records = 0;  // acknowledged (produce) or read (consume)
  int64_t failed = 0;
  int64_t bytes = 0;  // value and key bytes of those records
  int64_t first_ns = 0;
  int64_t last_ns = 0;  // the last acknowledgement or record read
  LatencyHistogram latency_ns;
  std::string first_error;

  double seconds() const { return last_ns > first_ns ? (last_ns - first_ns) / 1e9 : 0; }
};

void OnDelivery(rd_kafka_t* /*client*/, const rd_kafka_message_t* message, void* opaque) {
  auto* m = static_cast<Measurement*>(opaque);
  int64_t now = NowNs();
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (m->failed++ == 0) m->first_error = rd_kafka_err2str(message->err);
    return;
  }
  // The record's due time travels as its opaque pointer.
  auto due = static_cast<int64_t>(reinterpret_cast<intptr_t>(message->_private));
  m->latency_ns.Record(static_cast<uint64_t>(std::max<int64_t>(now - due, 0)));
  ++m->records;
  m->bytes += static_cast<int64_t>(message->len + message->key_len);
  m->last_ns = now;
}

// Creates the topic when it is missing; an existing one must have --partitions.
Status EnsureBenchTopic(const BenchOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> admin, NewAdminClient(options.client));
  Result<int32_t> partitions = TopicPartitionCount(admin.get(), options.topic, options.client.timeout_ms);
  if (partitions.ok()) {
    if (*partitions == options.partitions) return Status::Ok();
    return InvalidArgument("topic " + options.topic + " has " + std::to_string(*partitions) +
                           " partitions, not --partitions " + std::to_string(options.partitions));
  }
  if (partitions.status().code() != StatusCode::kNotFound) return partitions.status();
  return CreateTopic(options.client, options.topic, options.partitions, {});
}

Result<RdPtr<rd_kafka_t>> NewBenchProducer(const BenchOptions& options, Measurement& m) {
  ASSIGN_OR_RETURN(
      RdPtr<rd_kafka_conf_t> conf,
      NewClientConfig(options.client,
                      {{"acks", options.acks},
                       {"linger.ms", std::to_string(options.linger_ms)},
                       {"enable.idempotence", options.idempotent ? "true" : "false"},
                       {"queue.buffering.max.messages", "1000000"},
                       {"message.timeout.ms", "60000"},
                       {"allow.auto.create.topics", "false"}}));
  rd_kafka_conf_set_opaque(conf.get(), &m);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &OnDelivery);
  return NewClient(RD_KAFKA_PRODUCER, std::move(conf));
}

Status Produce(const BenchOptions& options, Measurement& m) {
  RETURN_IF_ERROR(EnsureBenchTopic(options));
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewBenchProducer(options, m));
  rd_kafka_t* rk = client.get();
  // Connect and learn the partitions before the clock starts.
  RETURN_IF_ERROR(TopicPartitionCount(rk, options.topic, options.client.timeout_ms).status());
  std::vector<char> value(static_cast<size_t>(options.record_bytes));
  std::mt19937_64 rng(42);
  for (char& c : value) c = static_cast<char>(rng());
  RdPtr<rd_kafka_topic_t> topic(rd_kafka_topic_new(rk, options.topic.c_str(), nullptr));

  m.first_ns = NowNs();
  int64_t end_ns = m.first_ns + static_cast<int64_t>(options.duration_s * 1e9);
  double interval_ns = options.rate > 0 ? 1e9 / options.rate : 0;
  int64_t sent = 0;
  while (options.records > 0 ? sent < options.records : NowNs() < end_ns) {
    int64_t now = NowNs();
    int64_t due = now;
    if (interval_ns > 0) {
      due = m.first_ns + static_cast<int64_t>(static_cast<double>(sent) * interval_ns);
      if (due > now) {
        // Ahead of the schedule: serve delivery reports while waiting (1 ms steps).
        rd_kafka_poll(rk, due - now >= 1'000'000 ? 1 : 0);
        continue;
      }
    }
    // No copy flag: librdkafka points at `value`, which outlives the flush below.
    while (rd_kafka_produce(topic.get(), RD_KAFKA_PARTITION_UA, 0, value.data(), value.size(),
                            nullptr, 0, reinterpret_cast<void*>(static_cast<intptr_t>(due))) != 0) {
      rd_kafka_resp_err_t err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return KafkaStatus(err, "produce");
      rd_kafka_poll(rk, 10);  // librdkafka's queue is full: let acknowledgements drain it
    }
    ++sent;
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_resp_err_t err = rd_kafka_flush(rk, 90'000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "flush");
  if (m.failed > 0) {
    return IoError(std::to_string(m.failed) + " records failed; the first: " + m.first_error);
  }
  return Status::Ok();
}

Status Consume(const BenchOptions& options, Measurement& m) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options.client, {{"group.id", "millstream-bench"},
                                                    {"enable.auto.commit", "false"},
                                                    {"allow.auto.create.topics", "false"},
                                                    {"enable.partition.eof", "true"}}));
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  ASSIGN_OR_RETURN(int32_t partitions,
                   TopicPartitionCount(client.get(), options.topic, options.client.timeout_ms));
  RdPtr<rd_kafka_topic_partition_list_t> list(rd_kafka_topic_partition_list_new(partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_poll_set_consumer(client.get());
  if (rd_kafka_resp_err_t err = rd_kafka_assign(client.get(), list.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(err, "assign");
  }
  m.first_ns = NowNs();
  std::set<int32_t> at_end;
  int64_t idle_since = NowNs();
  while (options.records == 0 || m.records < options.records) {
    RdPtr<rd_kafka_message_t> msg(rd_kafka_consumer_poll(client.get(), 100));
    if (!msg) {
      if (NowNs() - idle_since > int64_t{options.client.timeout_ms} * 1'000'000) {
        return IoError("no record for --timeout-ms after " + std::to_string(m.records) + " records");
      }
      continue;
    }
    idle_since = NowNs();
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(msg->partition);
      if (static_cast<int32_t>(at_end.size()) == partitions) break;
      continue;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(msg->err, "consume", rd_kafka_message_errstr(msg.get()));
    }
    at_end.erase(msg->partition);
    ++m.records;
    m.bytes += static_cast<int64_t>(msg->len + msg->key_len);
    m.last_ns = idle_since;
  }
  return Status::Ok();
}

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

nlohmann::ordered_json ToJson(const std::string& verb, const BenchOptions& options,
                              const Measurement& m) {
  double seconds = m.seconds();
  nlohmann::ordered_json j = {{"verb", verb},
                              {"topic", options.topic},
                              {"records", m.records},
                              {"failed", m.failed},
                              {"bytes", m.bytes},
                              {"seconds", seconds},
                              {"records_per_s", seconds > 0 ? m.records / seconds : 0},
                              {"mb_per_s", seconds > 0 ? m.bytes / seconds / 1e6 : 0}};
  if (verb == "produce") {
    j["partitions"] = options.partitions;
    j["record_bytes"] = options.record_bytes;
    j["acks"] = options.acks;
    j["rate_target"] = options.rate;
    j["ack_latency_ms"] = {{"p50", Ms(m.latency_ns.Percentile(0.5))},
                           {"p99", Ms(m.latency_ns.Percentile(0.99))},
                           {"p999", Ms(m.latency_ns.Percentile(0.999))},
                           {"max", Ms(m.latency_ns.max())}};
  }
  return j;
}

int Report(const std::string& verb, const BenchOptions& options, const Status& status,
           const Measurement& m) {
  double seconds = m.seconds();
  std::fprintf(stderr, "bench %s: %lld records in %.2f s: %.0f records/s, %.1f MB/s", verb.c_str(),
               static_cast<long long>(m.records), seconds, seconds > 0 ? m.records / seconds : 0,
               seconds > 0 ? m.bytes / seconds / 1e6 : 0);
  if (verb == "produce") {
    std::fprintf(stderr, "; ack latency p50 %.2f ms, p99 %.2f ms, p999 %.2f ms",
                 Ms(m.latency_ns.Percentile(0.5)), Ms(m.latency_ns.Percentile(0.99)),
                 Ms(m.latency_ns.Percentile(0.999)));
  }
  std::fprintf(stderr, "\n");
  if (!options.json_path.empty()) {
    std::string text = ToJson(verb, options, m).dump() + "\n";
    if (options.json_path == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else if (!(std::ofstream(options.json_path) << text)) {
      std::fprintf(stderr, "bench %s: cannot write %s\n", verb.c_str(), options.json_path.c_str());
      return 1;
    }
  }
  if (status.ok()) return 0;
  std::fprintf(stderr, "bench %s: %s\n", verb.c_str(), status.message().c_str());
  return 1;
}

}  // namespace

CommandRunner RegisterBench(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Load generators on librdkafka (bench/README.md)");
  bench->require_subcommand(1);

  CLI::App* produce = bench->add_subcommand("produce", "Produce fixed-size records, measure acks");
  AddClientOptions(*produce, options->client);
  produce->add_option("-t,--topic", options->topic, "Topic")->capture_default_str();
  produce->add_option("-p,--partitions", options->partitions, "Partitions when creating the topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  produce->add_option("-s,--record-bytes", options->record_bytes, "Value size of each record")
      ->capture_default_str()
      ->check(CLI::Range(0, 64 << 20));
  produce->add_option("--acks", options->acks, "Acknowledgement level")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "1", "0"}));
  produce->add_option("-d,--duration", options->duration_s, "Seconds to produce for")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  produce->add_option("-n,--records", options->records, "Records to produce (instead of --duration)")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  produce->add_option("-r,--rate", options->rate, "Records per second (default: as fast as possible)")
      ->check(CLI::PositiveNumber);
  produce->add_option("--linger-ms", options->linger_ms, "librdkafka linger.ms")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  produce->add_flag("--idempotent", options->idempotent, "enable.idempotence=true");
  produce->add_option("--json", options->json_path, "Write the result as JSON to FILE ('-': stdout)");

  CLI::App* consume = bench->add_subcommand("consume", "Read a topic from the start, measure rate");
  AddClientOptions(*consume, options->client);
  consume->add_option("-t,--topic", options->topic, "Topic")->capture_default_str();
  consume->add_option("-n,--records", options->records,
                      "Read at most this many records (default: to the end of every partition)")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  consume->add_option("--json", options->json_path, "Write the result as JSON to FILE ('-': stdout)");

  auto others = std::make_shared<std::vector<std::function<int()>>>();
  AddBenchGroup(*bench, *others);
  AddBenchBurst(*bench, *others);

  return [=] {
    Measurement m;
    if (produce->parsed()) return Report("produce", *options, Produce(*options, m), m);
    if (consume->parsed()) return Report("consume", *options, Consume(*options, m), m);
    for (const auto& run : *others) {
      if (int code = run(); code >= 0) return code;
    }
    return 2;
  };
}

}  // namespace millstream::tools
