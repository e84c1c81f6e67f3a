// What the client verbs (`topic`, `produce`, `consume`) share about librdkafka:
// the common flags (--bootstrap, --timeout-ms, -X), building a client handle from
// them, owning librdkafka objects with unique_ptr, turning librdkafka error codes
// into Status, and the metadata look-ups every verb starts with. librdkafka is a C
// library and never throws; the verbs run on the main thread and librdkafka runs
// its own threads behind each handle.
#pragma once

#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace millstream::tools {

// Frees librdkafka objects; one overload per type a verb owns.
struct RdKafkaDeleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
  void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
  void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
  void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
  void operator()(rd_kafka_DeleteTopic_t* p) const { rd_kafka_DeleteTopic_destroy(p); }
  void operator()(rd_kafka_ConfigResource_t* p) const { rd_kafka_ConfigResource_destroy(p); }
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
  void operator()(rd_kafka_ListConsumerGroupOffsets_t* p) const { rd_kafka_ListConsumerGroupOffsets_destroy(p); }
  void operator()(rd_kafka_AlterConsumerGroupOffsets_t* p) const { rd_kafka_AlterConsumerGroupOffsets_destroy(p); }
  void operator()(rd_kafka_DeleteGroup_t* p) const { rd_kafka_DeleteGroup_destroy(p); }
};
template <typename T>
using RdPtr = std::unique_ptr<T, RdKafkaDeleter>;

// The flags every client verb takes.
struct ClientOptions {
  std::string bootstrap;              // --bootstrap HOST:PORT[,HOST:PORT...]
  int timeout_ms = 10000;             // --timeout-ms: metadata, admin requests, a record's delivery
  std::vector<std::string> settings;  // -X key=value: any librdkafka setting, applied last
};

// Adds --bootstrap (required; or MILLSTREAM_BOOTSTRAP), --timeout-ms and -X to
// `cmd`, stored in `options`, which must outlive the parse.
void AddClientOptions(CLI::App& cmd, ClientOptions& options);

// A CLI11 check that a value is KEY=VALUE with a non-empty KEY.
CLI::Validator KeyValueValidator();

// Splits "KEY=VALUE" at the first '='. InvalidArgument without '=' or with an
// empty KEY.
Result<std::pair<std::string, std::string>> SplitKeyValue(std::string_view text);

// A librdkafka configuration: `defaults` (the verb's), then -X settings (the
// user's, so they win), then bootstrap.servers. Logs of level warning and worse go
// to stderr prefixed "rdkafka:"; other errors are not reported a second time,
// except fatal ones. InvalidArgument names the setting librdkafka refused.
Result<RdPtr<rd_kafka_conf_t>> NewClientConfig(
    const ClientOptions& options, const std::vector<std::pair<std::string, std::string>>& defaults);

// A client of `type` built from `conf` (consumed whether or not this succeeds).
Result<RdPtr<rd_kafka_t>> NewClient(rd_kafka_type_t type, RdPtr<rd_kafka_conf_t> conf);

// The Status for a librdkafka or broker error: NotFound for an unknown topic or
// partition, InvalidArgument for a request the broker refused as invalid (bad
// partitions, config, name, an existing topic), IoError for everything else
// (timeouts, unreachable brokers). The message is "<what>: <text>", where text is
// `detail` when given (the broker's own message) and librdkafka's description of
// `err` otherwise.
Status KafkaStatus(rd_kafka_resp_err_t err, std::string_view what, std::string_view detail = {});

struct TopicSummary {
  std::string name;
  int32_t partitions = 0;
};

// Every topic of the cluster, sorted by name. Asks for all topics, so nothing is
// auto-created. IoError when the brokers cannot be reached within the timeout.
Result<std::vector<TopicSummary>> ListTopics(rd_kafka_t* client, int timeout_ms);

// The partition count of `topic`. Asks for the topic by name, so the broker
// creates it if auto-creation is on and the client allows it (librdkafka allows it
// for producers and not for consumers; `allow.auto.create.topics`). NotFound when
// the topic does not exist afterwards.
Result<int32_t> TopicPartitionCount(rd_kafka_t* client, const std::string& topic, int timeout_ms);

}  // namespace millstream::tools
