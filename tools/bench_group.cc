// `millstream bench group`: what consumer groups cost, measured with librdkafka's
// high-level consumer (bench/README.md, docs/benchmarks.md):
//  - rebalance: --members consumers share --topic (created with --partitions);
//    a producer writes one record to every partition every 10 ms. A new member
//    joins, then one member leaves (close, so LeaveGroup); each time, the figure
//    is the time from the event until the new assignment is complete and every
//    partition has delivered a record to its new owner, that is, until all
//    partitions are being consumed again (librdkafka's default assignors are
//    eager: every member gives up all its partitions during a rebalance).
//  - commits: one member commits new offsets for all its partitions
//    synchronously (rd_kafka_commit, durable before the answer) for --duration
//    seconds: commits per second and their latency.
// One thread polls every client; librdkafka's threads run behind them.
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/latency_histogram.h"
#include "tools/bench_group.h"
#include "tools/kafka_admin.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

namespace {

// The project's monotonic clock (base/clock.h), in nanoseconds.
int64_t NowNs() { return SystemClock::Instance().MonotonicNanos(); }

struct GroupBenchOptions {
  ClientOptions client;
  std::string topic = "bench-group";
  int partitions = 12;
  int members = 3;
  double duration_s = 5;
  std::string json_path;
};

// A consumer in the benchmark's group; `seen_after` collects the partitions that
// delivered a record sent after the current event.
struct Consumer {
  RdPtr<rd_kafka_t> client;
};

Result<Consumer> Join(const GroupBenchOptions& options, const std::string& group) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options.client, {{"group.id", group},
                                                    {"auto.offset.reset", "latest"},
                                                    {"enable.auto.commit", "false"},
                                                    {"session.timeout.ms", "10000"},
                                                    {"heartbeat.interval.ms", "500"},
                                                    {"allow.auto.create.topics", "false"}}));
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  rd_kafka_poll_set_consumer(client.get());
  RdPtr<rd_kafka_topic_partition_list_t> topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), options.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(client.get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(err, "subscribe");
  }
  return Consumer{std::move(client)};
}

size_t AssignedCount(rd_kafka_t* client) {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(client, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
  size_t n = static_cast<size_t>(list->cnt);
  rd_kafka_topic_partition_list_destroy(list);
  return n;
}

// The load: one record per partition every 10 ms, valued with its send time.
class Ticker {
 public:
  Ticker(rd_kafka_t* producer, const GroupBenchOptions& options) : producer_(producer), options_(options) {}
  void MaybeSend() {
    int64_t now = NowNs();
    if (now < next_ns_) return;
    next_ns_ = now + 10'000'000;
    std::string value = std::to_string(now);
    for (int p = 0; p < options_.partitions; ++p) {
      rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_PARTITION(p),
                        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_END);
    }
    rd_kafka_poll(producer_, 0);
  }

 private:
  rd_kafka_t* producer_;
  const GroupBenchOptions& options_;
  int64_t next_ns_ = 0;
};

std::set<int32_t> AssignedUnion(std::vector<Consumer>& consumers) {
  std::set<int32_t> all;
  for (Consumer& c : consumers) {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(c.client.get(), &list) != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    for (int i = 0; i < list->cnt; ++i) all.insert(list->elems[i].partition);
    rd_kafka_topic_partition_list_destroy(list);
  }
  return all;
}

// After an event at `since_ns`: polls every consumer (keeping the load going)
// until the group's new assignment is complete (`settled()`: with eager
// rebalancing every member first gives up all its partitions), and then until
// every partition has delivered a record to its new owner. The time from the
// event to that last record, in ms.
Result<double> UntilConsumedAgain(std::vector<Consumer>& consumers, Ticker& ticker, int partitions,
                                  int64_t since_ns, int timeout_ms, const std::function<bool()>& settled) {
  int64_t deadline = since_ns + int64_t{timeout_ms} * 1'000'000;
  bool assigned = false;
  std::set<int32_t> fresh;
  while (static_cast<int>(fresh.size()) < partitions) {
    if (NowNs() > deadline) {
      return IoError(std::string(assigned ? "" : "no complete assignment, ") + "only " +
                     std::to_string(fresh.size()) + " of " + std::to_string(partitions) +
                     " partitions consumed again within " + std::to_string(timeout_ms) + " ms");
    }
    ticker.MaybeSend();
    for (Consumer& c : consumers) {
      RdPtr<rd_kafka_message_t> m(rd_kafka_consumer_poll(c.client.get(), 1));
      if (assigned && m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) fresh.insert(m->partition);
    }
    if (!assigned) assigned = settled();
  }
  return (NowNs() - since_ns) / 1e6;
}

Status RunGroupBench(GroupBenchOptions options, nlohmann::ordered_json& out) {
  {
    ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> admin, NewAdminClient(options.client));
    Result<int32_t> existing = TopicPartitionCount(admin.get(), options.topic, options.client.timeout_ms);
    if (existing.ok()) {
      options.partitions = *existing;  // an existing topic is measured as it is
    } else {
      RETURN_IF_ERROR(CreateTopic(options.client, options.topic, options.partitions, {}));
    }
  }
  if (options.members + 1 > options.partitions) {
    return InvalidArgument("--members " + std::to_string(options.members) + " needs at least " +
                           std::to_string(options.members + 1) + " partitions (one for the member that joins)");
  }
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> pconf, NewClientConfig(options.client, {{"acks", "all"}, {"linger.ms", "1"}}));
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> producer, NewClient(RD_KAFKA_PRODUCER, std::move(pconf)));
  Ticker ticker(producer.get(), options);
  std::string group = "bench-group-" + std::to_string(NowNs());
  int timeout_ms = std::max(options.client.timeout_ms, 30000);

  // The starting members, and the first time every partition is consumed.
  std::vector<Consumer> consumers;
  int64_t start = NowNs();
  for (int i = 0; i < options.members; ++i) {
    ASSIGN_OR_RETURN(Consumer c, Join(options, group));
    consumers.push_back(std::move(c));
  }
  auto complete = [&consumers, &options] {
    return static_cast<int>(AssignedUnion(consumers).size()) == options.partitions;
  };
  ASSIGN_OR_RETURN(double formed_ms,
                   UntilConsumedAgain(consumers, ticker, options.partitions, start, timeout_ms, complete));

  int64_t joined = NowNs();
  ASSIGN_OR_RETURN(Consumer newcomer, Join(options, group));
  consumers.push_back(std::move(newcomer));
  auto newcomer_in = [&consumers, &complete] {
    return AssignedCount(consumers.back().client.get()) > 0 && complete();
  };
  ASSIGN_OR_RETURN(double join_ms,
                   UntilConsumedAgain(consumers, ticker, options.partitions, joined, timeout_ms, newcomer_in));

  int64_t left = NowNs();
  rd_kafka_consumer_close(consumers.back().client.get());  // LeaveGroup
  consumers.pop_back();
  ASSIGN_OR_RETURN(double leave_ms,
                   UntilConsumedAgain(consumers, ticker, options.partitions, left, timeout_ms, complete));

  // Durable commits: the first member commits all its partitions' positions.
  // Each commit carries new offsets: librdkafka sends nothing for unchanged ones.
  rd_kafka_t* committer = consumers.front().client.get();
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_resp_err_t err = rd_kafka_assignment(committer, &raw); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(err, "assignment");
  }
  RdPtr<rd_kafka_topic_partition_list_t> positions(raw);
  size_t assigned = static_cast<size_t>(positions->cnt);
  LatencyHistogram latency;
  int64_t commits = 0;
  int64_t begin = NowNs();
  int64_t end = begin + static_cast<int64_t>(options.duration_s * 1e9);
  while (NowNs() < end) {
    for (int i = 0; i < positions->cnt; ++i) positions->elems[i].offset = commits + 1;
    int64_t t0 = NowNs();
    rd_kafka_resp_err_t err = rd_kafka_commit(committer, positions.get(), /*async=*/0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "commit");
    latency.Record(static_cast<uint64_t>(NowNs() - t0));
    ++commits;
    for (Consumer& c : consumers) RdPtr<rd_kafka_message_t>(rd_kafka_consumer_poll(c.client.get(), 0));
    ticker.MaybeSend();
  }
  double seconds = (NowNs() - begin) / 1e9;
  for (Consumer& c : consumers) rd_kafka_consumer_close(c.client.get());
  rd_kafka_flush(producer.get(), 5000);

  out = {{"verb", "group"},
         {"partitions", options.partitions},
         {"members", options.members},
         {"first_generation_ms", formed_ms},
         {"join_to_all_consumed_ms", join_ms},
         {"leave_to_all_consumed_ms", leave_ms},
         {"commits", commits},
         {"commit_partitions", assigned},
         {"commits_per_s", commits / seconds},
         {"commit_latency_ms",
          {{"p50", latency.Percentile(0.5) / 1e6}, {"p99", latency.Percentile(0.99) / 1e6}}}};
  return Status::Ok();
}

}  // namespace

void AddBenchGroup(CLI::App& bench, std::vector<std::function<int()>>& runners) {
  auto options = std::make_shared<GroupBenchOptions>();
  CLI::App* cmd = bench.add_subcommand("group", "Rebalance times and durable commits per second");
  AddClientOptions(*cmd, options->client);
  cmd->add_option("-t,--topic", options->topic, "Topic (created when missing)")->capture_default_str();
  cmd->add_option("-p,--partitions", options->partitions, "Partitions when creating the topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("-m,--members", options->members, "Members before one joins and one leaves")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("-d,--duration", options->duration_s, "Seconds of commits")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--json", options->json_path, "Write the result as JSON to FILE ('-': stdout)");
  runners.push_back([cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    nlohmann::ordered_json result;
    Status status = RunGroupBench(*options, result);
    if (!status.ok()) {
      std::fprintf(stderr, "bench group: %s\n", status.message().c_str());
      return 1;
    }
    std::fprintf(stderr,
                 "bench group: first generation %.0f ms; join -> all partitions consumed again %.0f ms; "
                 "leave -> %.0f ms; %.0f durable commits/s (p99 %.2f ms)\n",
                 result["first_generation_ms"].get<double>(), result["join_to_all_consumed_ms"].get<double>(),
                 result["leave_to_all_consumed_ms"].get<double>(), result["commits_per_s"].get<double>(),
                 result["commit_latency_ms"]["p99"].get<double>());
    if (options->json_path == "-") {
      std::printf("%s\n", result.dump().c_str());
    } else if (!options->json_path.empty() && !(std::ofstream(options->json_path) << result.dump() << "\n")) {
      std::fprintf(stderr, "bench group: cannot write %s\n", options->json_path.c_str());
      return 1;
    }
    return 0;
  });
}

}  // namespace millstream::tools
