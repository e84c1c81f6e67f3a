// `millstream topic create|list|describe|delete`: topic administration over the
// Kafka protocol (CreateTopics, Metadata, ListOffsets, DescribeConfigs,
// DeleteTopics) through librdkafka's admin API. Output (stdout, tab-separated):
//   create    "created topic NAME (N partitions)"
//   list      "NAME<TAB>PARTITIONS" per topic, sorted by name
//   describe  "topic<TAB>NAME<TAB>PARTITIONS", then "partition<TAB>P<TAB>LOW<TAB>HIGH"
//             per partition (the watermarks), then "config<TAB>KEY<TAB>VALUE" per
//             setting when the broker answers DescribeConfigs (otherwise a note on
//             stderr and no config lines)
//   delete    "deleted topic NAME"
// Exit 0 on success, 1 with "topic VERB: <reason>" on stderr otherwise.
#include <cstdio>
#include <memory>

#include "tools/commands.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

namespace {

struct TopicOptions {
  ClientOptions client;
  std::string name;
  int partitions = 1;
  std::vector<std::string> configs;  // create: KEY=VALUE
};

// Admin requests and metadata look-ups go through a producer handle, as in
// librdkafka's examples. It must never create the topic it only asks about.
Result<RdPtr<rd_kafka_t>> NewAdminClient(const ClientOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options, {{"allow.auto.create.topics", "false"}}));
  return NewClient(RD_KAFKA_PRODUCER, std::move(conf));
}

// Waits for the one result event of an admin request sent with `queue`. The
// request's own timeout (set in its options) ends it first; the extra second only
// guards against a result that never comes.
Result<RdPtr<rd_kafka_event_t>> AwaitResult(rd_kafka_queue_t* queue, int timeout_ms,
                                            std::string_view what) {
  RdPtr<rd_kafka_event_t> event(rd_kafka_queue_poll(queue, timeout_ms + 1000));
  if (!event) return KafkaStatus(RD_KAFKA_RESP_ERR__TIMED_OUT, what);
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(rd_kafka_event_error(event.get()), what,
                       rd_kafka_event_error_string(event.get()));
  }
  return event;
}

Result<RdPtr<rd_kafka_AdminOptions_t>> NewAdminOptions(rd_kafka_t* client, rd_kafka_admin_op_t op,
                                                       int timeout_ms) {
  RdPtr<rd_kafka_AdminOptions_t> options(rd_kafka_AdminOptions_new(client, op));
  char error[512] = "";
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, error, sizeof(error)) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return InvalidArgument(std::string("--timeout-ms: ") + error);
  }
  return options;
}

// The per-topic outcome of CreateTopics or DeleteTopics (one topic per request).
Status TopicResult(const rd_kafka_topic_result_t* const* results, size_t count,
                   std::string_view what) {
  if (count != 1)
    return IoError(std::string(what) + ": the broker answered for " + std::to_string(count) +
                   " topics");
  rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[0]);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  const char* detail = rd_kafka_topic_result_error_string(results[0]);
  return KafkaStatus(err, what, detail != nullptr ? detail : "");
}

Status CreateTopic(const TopicOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  char error[512] = "";
  // Replication factor 1: Millstream is a single broker.
  RdPtr<rd_kafka_NewTopic_t> topic(
      rd_kafka_NewTopic_new(options.name.c_str(), options.partitions, 1, error, sizeof(error)));
  if (!topic) return InvalidArgument(error);
  for (const std::string& setting : options.configs) {
    ASSIGN_OR_RETURN(auto kv, SplitKeyValue(setting));
    rd_kafka_resp_err_t err =
        rd_kafka_NewTopic_set_config(topic.get(), kv.first.c_str(), kv.second.c_str());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "--config " + setting);
  }
  ASSIGN_OR_RETURN(
      RdPtr<rd_kafka_AdminOptions_t> admin,
      NewAdminOptions(client.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, options.client.timeout_ms));
  RdPtr<rd_kafka_queue_t> queue(rd_kafka_queue_new(client.get()));
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  rd_kafka_CreateTopics(client.get(), topics, 1, admin.get(), queue.get());
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AwaitResult(queue.get(), options.client.timeout_ms, options.name));
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  if (result == nullptr) return IoError(options.name + ": unexpected answer to CreateTopics");
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  RETURN_IF_ERROR(TopicResult(results, count, options.name));
  std::printf("created topic %s (%d partitions)\n", options.name.c_str(), options.partitions);
  return Status::Ok();
}

Status DeleteTopic(const TopicOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  RdPtr<rd_kafka_DeleteTopic_t> topic(rd_kafka_DeleteTopic_new(options.name.c_str()));
  ASSIGN_OR_RETURN(
      RdPtr<rd_kafka_AdminOptions_t> admin,
      NewAdminOptions(client.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, options.client.timeout_ms));
  RdPtr<rd_kafka_queue_t> queue(rd_kafka_queue_new(client.get()));
  rd_kafka_DeleteTopic_t* topics[] = {topic.get()};
  rd_kafka_DeleteTopics(client.get(), topics, 1, admin.get(), queue.get());
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AwaitResult(queue.get(), options.client.timeout_ms, options.name));
  const rd_kafka_DeleteTopics_result_t* result = rd_kafka_event_DeleteTopics_result(event.get());
  if (result == nullptr) return IoError(options.name + ": unexpected answer to DeleteTopics");
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(result, &count);
  RETURN_IF_ERROR(TopicResult(results, count, options.name));
  std::printf("deleted topic %s\n", options.name.c_str());
  return Status::Ok();
}

Status ListAllTopics(const TopicOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  ASSIGN_OR_RETURN(std::vector<TopicSummary> topics,
                   ListTopics(client.get(), options.client.timeout_ms));
  for (const TopicSummary& t : topics) std::printf("%s\t%d\n", t.name.c_str(), t.partitions);
  return Status::Ok();
}

// The topic's settings as the broker reports them, sorted by name.
Result<std::vector<std::pair<std::string, std::string>>> DescribeTopicConfigs(
    rd_kafka_t* client, const TopicOptions& options) {
  RdPtr<rd_kafka_ConfigResource_t> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, options.name.c_str()));
  ASSIGN_OR_RETURN(
      RdPtr<rd_kafka_AdminOptions_t> admin,
      NewAdminOptions(client, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, options.client.timeout_ms));
  RdPtr<rd_kafka_queue_t> queue(rd_kafka_queue_new(client));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(client, resources, 1, admin.get(), queue.get());
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AwaitResult(queue.get(), options.client.timeout_ms, "DescribeConfigs"));
  const rd_kafka_DescribeConfigs_result_t* result =
      rd_kafka_event_DescribeConfigs_result(event.get());
  if (result == nullptr) return IoError("DescribeConfigs: unexpected answer");
  size_t count = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(result, &count);
  if (count != 1)
    return IoError("DescribeConfigs: the broker answered for " + std::to_string(count) +
                   " resources");
  if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(described[0]);
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* detail = rd_kafka_ConfigResource_error_string(described[0]);
    return KafkaStatus(err, "DescribeConfigs", detail != nullptr ? detail : "");
  }
  size_t entry_count = 0;
  const rd_kafka_ConfigEntry_t** entries =
      rd_kafka_ConfigResource_configs(described[0], &entry_count);
  std::vector<std::pair<std::string, std::string>> configs;
  for (size_t i = 0; i < entry_count; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(entries[i]);
    configs.emplace_back(rd_kafka_ConfigEntry_name(entries[i]), value != nullptr ? value : "");
  }
  std::sort(configs.begin(), configs.end());
  return configs;
}

Status DescribeTopic(const TopicOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  ASSIGN_OR_RETURN(int32_t partitions,
                   TopicPartitionCount(client.get(), options.name, options.client.timeout_ms));
  std::printf("topic\t%s\t%d\n", options.name.c_str(), partitions);
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        client.get(), options.name.c_str(), p, &low, &high, options.client.timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(err, "watermarks of " + options.name + "[" + std::to_string(p) + "]");
    }
    std::printf("partition\t%d\t%lld\t%lld\n", p, static_cast<long long>(low),
                static_cast<long long>(high));
  }
  // A broker without DescribeConfigs is not an error: the partitions are the
  // main answer, and the configs are extra.
  Result<std::vector<std::pair<std::string, std::string>>> configs =
      DescribeTopicConfigs(client.get(), options);
  if (!configs.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "note: configs not shown (%s)\n", configs.status().message().c_str());
    return Status::Ok();
  }
  for (const auto& [key, value] : *configs)
    std::printf("config\t%s\t%s\n", key.c_str(), value.c_str());
  return Status::Ok();
}

int Report(const char* verb, const Status& status) {
  if (status.ok()) return 0;
  std::fflush(stdout);
  std::fprintf(stderr, "topic %s: %s\n", verb, status.message().c_str());
  return 1;
}

}  // namespace

CommandRunner RegisterTopic(CLI::App& app) {
  auto options = std::make_shared<TopicOptions>();
  CLI::App* topic =
      app.add_subcommand("topic", "Create, list, describe and delete topics (Kafka protocol)");
  topic->require_subcommand(1);

  CLI::App* create = topic->add_subcommand("create", "Create a topic (replication factor 1)");
  create->add_option("NAME", options->name, "Topic name")->required();
  create->add_option("-p,--partitions", options->partitions, "Partition count")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  create->add_option("--config", options->configs, "Topic setting KEY=VALUE (repeatable)")
      ->allow_extra_args(false)
      ->check(KeyValueValidator());
  AddClientOptions(*create, options->client);

  CLI::App* list = topic->add_subcommand("list", "List topics: NAME<TAB>PARTITIONS per line");
  AddClientOptions(*list, options->client);

  CLI::App* describe =
      topic->add_subcommand("describe", "Partitions with their watermarks, and the configs");
  describe->add_option("NAME", options->name, "Topic name")->required();
  AddClientOptions(*describe, options->client);

  CLI::App* remove = topic->add_subcommand("delete", "Delete a topic and its data");
  remove->add_option("NAME", options->name, "Topic name")->required();
  AddClientOptions(*remove, options->client);

  return [=] {
    if (create->parsed()) return Report("create", CreateTopic(*options));
    if (list->parsed()) return Report("list", ListAllTopics(*options));
    if (describe->parsed()) return Report("describe", DescribeTopic(*options));
    if (remove->parsed()) return Report("delete", DeleteTopic(*options));
    return 2;
  };
}

}  // namespace millstream::tools
