// `millstream consume`: reads one topic (every partition, or --partition) from a
// chosen position with librdkafka's consumer and prints the records to stdout.
//
// Start (--from): earliest, latest, an OFFSET (the same one in every partition
// read; an offset outside a partition's watermarks is an error), or @TIMESTAMP_MS
// (per partition, the first record whose timestamp is at or after it; a partition
// without one starts at its end).
//
// Stop: after --count records, or once every partition read has reached its end
// (librdkafka's enable.partition.eof), whichever comes first. With --follow the
// end of a partition does not stop it: it waits for new records until --count or
// SIGINT/SIGTERM.
//
// Output: --format text prints each record's value followed by '\n' (the value
// only: no key, no headers; a null value prints as an empty line). --format json
// prints one object per line:
//   {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"value":..,
//    "headers":[{"key":..,"value":..}]}
// with null for a null key, value or header value and for a missing timestamp.
// Bytes that are not UTF-8 are replaced by U+FFFD. stderr gets "consumed N
// records" at the end. Exit 0 on success, 1 with "consume: <reason>" otherwise.
#include <signal.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "tools/commands.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

namespace {

struct StartPosition {
  enum class Kind { kEarliest, kLatest, kOffset, kTimestamp };
  Kind kind = Kind::kEarliest;
  int64_t value = 0;  // the offset or the timestamp in ms
};

struct ConsumeOptions {
  ClientOptions client;
  std::string topic;
  std::string from = "earliest";
  int64_t count = 0;  // 0: no limit
  std::string format = "text";
  int32_t partition = -1;  // -1: every partition
  bool follow = false;
};

Result<StartPosition> ParseStart(std::string_view text) {
  if (text == "earliest") return StartPosition{StartPosition::Kind::kEarliest, 0};
  if (text == "latest") return StartPosition{StartPosition::Kind::kLatest, 0};
  StartPosition start{StartPosition::Kind::kOffset, 0};
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '@') {
    start.kind = StartPosition::Kind::kTimestamp;
    digits.remove_prefix(1);
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), start.value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      start.value < 0) {
    return InvalidArgument("expected earliest, latest, OFFSET or @TIMESTAMP_MS, got '" +
                           std::string(text) + "'");
  }
  return start;
}

volatile std::sig_atomic_t g_stop_requested = 0;

void RequestStop(int /*signo*/) { g_stop_requested = 1; }

// A consumer with a group.id only because rd_kafka_assign() refuses to work
// without one. It never subscribes, joins the group or commits offsets, so the
// brokers keep no state for it (librdkafka may still look up the group's
// coordinator, and does nothing when no broker offers FindCoordinator).
Result<RdPtr<rd_kafka_t>> NewConsumer(const ConsumeOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options.client,
                                   {{"group.id", "millstream-cli"},
                                    {"enable.auto.commit", "false"},
                                    {"enable.auto.offset.store", "false"},
                                    {"allow.auto.create.topics", "false"},
                                    {"auto.offset.reset", "error"},
                                    {"enable.partition.eof", options.follow ? "false" : "true"}}));
  return NewClient(RD_KAFKA_CONSUMER, std::move(conf));
}

// The partitions to read, each with the offset to start from.
Result<RdPtr<rd_kafka_topic_partition_list_t>> StartOffsets(rd_kafka_t* client,
                                                            const ConsumeOptions& options,
                                                            const StartPosition& start,
                                                            int32_t partition_count) {
  RdPtr<rd_kafka_topic_partition_list_t> list(rd_kafka_topic_partition_list_new(partition_count));
  for (int32_t p = 0; p < partition_count; ++p) {
    if (options.partition >= 0 && p != options.partition) continue;
    rd_kafka_topic_partition_t* tp =
        rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), p);
    switch (start.kind) {
      case StartPosition::Kind::kEarliest:
        tp->offset = RD_KAFKA_OFFSET_BEGINNING;
        break;
      case StartPosition::Kind::kLatest:
        tp->offset = RD_KAFKA_OFFSET_END;
        break;
      // offsets_for_times takes the timestamp in the offset field and replaces it.
      case StartPosition::Kind::kOffset:
      case StartPosition::Kind::kTimestamp:
        tp->offset = start.value;
        break;
    }
  }
  if (start.kind != StartPosition::Kind::kTimestamp) return list;
  rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(client, list.get(), options.client.timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return KafkaStatus(err, "offsets for --from " + options.from);
  for (int i = 0; i < list->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(tp.err, "offset for --from " + options.from + " in partition " +
                                     std::to_string(tp.partition));
    }
    // -1 (no record that late) is RD_KAFKA_OFFSET_END already: start at the end.
  }
  return list;
}

nlohmann::ordered_json BytesJson(const void* data, size_t size) {
  if (data == nullptr) return nullptr;
  return std::string(static_cast<const char*>(data), size);
}

void PrintJson(const rd_kafka_message_t& m) {
  rd_kafka_timestamp_type_t type;
  int64_t timestamp = rd_kafka_message_timestamp(&m, &type);
  nlohmann::ordered_json headers = nlohmann::ordered_json::array();
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      headers.push_back({{"key", name}, {"value", BytesJson(value, size)}});
    }
  }
  nlohmann::ordered_json line = {{"topic", rd_kafka_topic_name(m.rkt)},
                                 {"partition", m.partition},
                                 {"offset", m.offset},
                                 {"timestamp", timestamp >= 0 ? nlohmann::ordered_json(timestamp)
                                                              : nlohmann::ordered_json(nullptr)},
                                 {"key", BytesJson(m.key, m.key_len)},
                                 {"value", BytesJson(m.payload, m.len)},
                                 {"headers", std::move(headers)}};
  // nlohmann throws on invalid UTF-8 unless told to replace it; with `replace`
  // dumping cannot throw, whatever bytes the records hold.
  std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void PrintText(const rd_kafka_message_t& m) {
  if (m.payload != nullptr) std::fwrite(m.payload, 1, m.len, stdout);
  std::fputc('\n', stdout);
}

// Reads until a stop condition (file comment); `consumed` counts printed records.
Status Consume(const ConsumeOptions& options, int64_t& consumed) {
  StartPosition start = ParseStart(options.from).value();  // validated while parsing the flags
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewConsumer(options));
  ASSIGN_OR_RETURN(int32_t partition_count,
                   TopicPartitionCount(client.get(), options.topic, options.client.timeout_ms));
  if (options.partition >= partition_count) {
    return NotFound("--partition " + std::to_string(options.partition) + ": topic " +
                    options.topic + " has " + std::to_string(partition_count) + " partitions");
  }
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_topic_partition_list_t> assignment,
                   StartOffsets(client.get(), options, start, partition_count));
  // Errors and events of the client come out of consumer_poll with the records.
  rd_kafka_poll_set_consumer(client.get());
  if (rd_kafka_resp_err_t err = rd_kafka_assign(client.get(), assignment.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(err, "assign");
  }
  bool json = options.format == "json";
  std::set<int32_t> at_end;  // partitions whose last record was read and nothing came since
  while (g_stop_requested == 0 && (options.count == 0 || consumed < options.count)) {
    char reason[512] = "";
    if (rd_kafka_resp_err_t err = rd_kafka_fatal_error(client.get(), reason, sizeof(reason));
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(err, "client", reason);
    }
    RdPtr<rd_kafka_message_t> m(rd_kafka_consumer_poll(client.get(), 100));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (json) {
        PrintJson(*m);
      } else {
        PrintText(*m);
      }
      if (options.follow) std::fflush(stdout);
      ++consumed;
      at_end.erase(m->partition);
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
      if (static_cast<int>(at_end.size()) == assignment->cnt) break;
    } else if (m->rkt != nullptr) {
      // A partition's own error, such as an offset out of range: reading it
      // cannot go on, and stopping at its end would never happen.
      return KafkaStatus(m->err, options.topic + "[" + std::to_string(m->partition) + "]",
                         rd_kafka_message_errstr(m.get()));
    } else {
      // Connection trouble (already logged): librdkafka reconnects by itself.
      std::fprintf(stderr, "consume: warning: %s\n", rd_kafka_message_errstr(m.get()));
    }
  }
  return Status::Ok();
}

int RunConsume(const ConsumeOptions& options) {
  struct sigaction action = {};
  action.sa_handler = &RequestStop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  int64_t consumed = 0;
  Status status = Consume(options, consumed);
  std::fflush(stdout);
  if (!status.ok()) std::fprintf(stderr, "consume: %s\n", status.message().c_str());
  std::fprintf(stderr, "consumed %lld records\n", static_cast<long long>(consumed));
  return status.ok() ? 0 : 1;
}

}  // namespace

CommandRunner RegisterConsume(CLI::App& app) {
  auto options = std::make_shared<ConsumeOptions>();
  CLI::App* cmd = app.add_subcommand("consume", "Print a topic's records (no consumer group)");
  AddClientOptions(*cmd, options->client);
  cmd->add_option("-t,--topic", options->topic, "Topic")->required();
  cmd->add_option("--from", options->from, "Start: earliest, latest, OFFSET or @TIMESTAMP_MS")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            Result<StartPosition> start = ParseStart(text);
            return start.ok() ? std::string() : start.status().message();
          },
          "earliest|latest|OFFSET|@TIMESTAMP_MS"));
  cmd->add_option("-c,--count", options->count, "Stop after this many records")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  cmd->add_option("--format", options->format, "text (values only) or json (one object per record)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("-p,--partition", options->partition, "Read only this partition")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-f,--follow", options->follow,
                "Keep waiting for records at the end of the partitions");
  return [options] { return RunConsume(*options); };
}

}  // namespace millstream::tools
