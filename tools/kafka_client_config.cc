#include "tools/kafka_client_config.h"

#include <syslog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace millstream::tools {

namespace {

// librdkafka calls this from its own threads; one fprintf per line keeps lines whole.
void LogToStderr(const rd_kafka_t* /*client*/, int level, const char* facility, const char* text) {
  if (level <= LOG_WARNING) std::fprintf(stderr, "rdkafka: %s: %s\n", facility, text);
}

// Without an error callback librdkafka logs every error a second time, after the
// log line that already explains it (connection refused, disconnected). Only a
// fatal error says something new; the verbs check for it themselves as well.
void ReportFatalError(rd_kafka_t* client, int err, const char* /*reason*/, void* /*opaque*/) {
  if (err != RD_KAFKA_RESP_ERR__FATAL) return;
  char reason[512] = "";
  rd_kafka_fatal_error(client, reason, sizeof(reason));
  std::fprintf(stderr, "rdkafka: fatal error: %s\n", reason);
}

Status SetConfig(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char error[512] = "";
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
      RD_KAFKA_CONF_OK) {
    return InvalidArgument("client setting " + key + "=" + value + ": " + error);
  }
  return Status::Ok();
}

// "metadata from HOST:PORT": names the brokers asked when they cannot be reached.
std::string MetadataContext(rd_kafka_t* client) {
  char servers[512] = "";
  size_t size = sizeof(servers);
  if (rd_kafka_conf_get(rd_kafka_conf(client), "bootstrap.servers", servers, &size) !=
      RD_KAFKA_CONF_OK) {
    return "metadata";
  }
  return std::string("metadata from ") + servers;
}

}  // namespace

void AddClientOptions(CLI::App& cmd, ClientOptions& options) {
  cmd.add_option("-b,--bootstrap", options.bootstrap,
                 "Broker HOST:PORT (comma-separated list allowed)")
      ->required()
      ->envname("MILLSTREAM_BOOTSTRAP");
  cmd.add_option("--timeout-ms", options.timeout_ms,
                 "Longest wait for metadata, an admin request or a record's delivery")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600000));
  // allow_extra_args(false): each -X takes exactly one value, so "-X a=b NAME" leaves
  // NAME to the positional argument.
  cmd.add_option("-X,--client-config", options.settings,
                 "librdkafka setting KEY=VALUE (repeatable; overrides the verb's defaults)")
      ->allow_extra_args(false)
      ->check(KeyValueValidator());
}

CLI::Validator KeyValueValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Result<std::pair<std::string, std::string>> split = SplitKeyValue(text);
        return split.ok() ? std::string() : split.status().message();
      },
      "KEY=VALUE");
}

Result<std::pair<std::string, std::string>> SplitKeyValue(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgument("expected KEY=VALUE, got '" + std::string(text) + "'");
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

Result<RdPtr<rd_kafka_conf_t>> NewClientConfig(
    const ClientOptions& options,
    const std::vector<std::pair<std::string, std::string>>& defaults) {
  RdPtr<rd_kafka_conf_t> conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogToStderr);
  rd_kafka_conf_set_error_cb(conf.get(), &ReportFatalError);
  for (const auto& [key, value] : defaults) RETURN_IF_ERROR(SetConfig(conf.get(), key, value));
  for (const std::string& setting : options.settings) {
    ASSIGN_OR_RETURN(auto kv, SplitKeyValue(setting));
    RETURN_IF_ERROR(SetConfig(conf.get(), kv.first, kv.second));
  }
  RETURN_IF_ERROR(SetConfig(conf.get(), "bootstrap.servers", options.bootstrap));
  return conf;
}

Result<RdPtr<rd_kafka_t>> NewClient(rd_kafka_type_t type, RdPtr<rd_kafka_conf_t> conf) {
  char error[512] = "";
  // rd_kafka_new owns the configuration only when it succeeds.
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), error, sizeof(error));
  if (client == nullptr)
    return InvalidArgument(std::string("cannot create the Kafka client: ") + error);
  conf.release();
  return RdPtr<rd_kafka_t>(client);
}

Status KafkaStatus(rd_kafka_resp_err_t err, std::string_view what, std::string_view detail) {
  std::string message(what);
  message += ": ";
  message += detail.empty() ? std::string_view(rd_kafka_err2str(err)) : detail;
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return NotFound(std::move(message));
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return InvalidArgument(std::move(message));
    default:
      return IoError(std::move(message));
  }
}

Result<std::vector<TopicSummary>> ListTopics(rd_kafka_t* client, int timeout_ms) {
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client, /*all_topics=*/1, nullptr, &raw, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, MetadataContext(client));
  RdPtr<const rd_kafka_metadata_t> metadata(raw);
  std::vector<TopicSummary> topics;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = metadata->topics[i];
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    topics.push_back({t.topic, t.partition_cnt});
  }
  std::sort(topics.begin(), topics.end(),
            [](const TopicSummary& a, const TopicSummary& b) { return a.name < b.name; });
  return topics;
}

Result<int32_t> TopicPartitionCount(rd_kafka_t* client, const std::string& topic, int timeout_ms) {
  RdPtr<rd_kafka_topic_t> handle(rd_kafka_topic_new(client, topic.c_str(), nullptr));
  if (!handle) {
    return KafkaStatus(rd_kafka_last_error(), "topic " + topic);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const rd_kafka_metadata_t* raw = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(client, /*all_topics=*/0, handle.get(), &raw,
                          static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, MetadataContext(client));
    RdPtr<const rd_kafka_metadata_t> metadata(raw);
    if (metadata->topic_cnt != 1)
      return IoError(MetadataContext(client) + ": the broker did not describe topic " + topic);
    const rd_kafka_metadata_topic_t& t = metadata->topics[0];
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return NotFound("topic " + topic + " does not exist");
    }
    // A topic the request just created may not have its leaders yet: ask again.
    bool settling = t.err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || t.partition_cnt == 0;
    if (!settling && t.err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return KafkaStatus(t.err, "topic " + topic);
    if (!settling) return t.partition_cnt;
    if (std::chrono::steady_clock::now() >= deadline) {
      return KafkaStatus(t.err == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR__TIMED_OUT : t.err,
                         "topic " + topic);
    }
    rd_kafka_poll(client, 100);  // waits a little, serving callbacks meanwhile
  }
}

}  // namespace millstream::tools
