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
#include "tools/kafka_admin.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

namespace {

struct TopicOptions {
  ClientOptions client;
  std::string name;
  int partitions = 1;
  std::vector<std::string> configs;  // create: KEY=VALUE
};

Status RunCreate(const TopicOptions& options) {
  RETURN_IF_ERROR(CreateTopic(options.client, options.name, options.partitions, options.configs));
  std::printf("created topic %s (%d partitions)\n", options.name.c_str(), options.partitions);
  return Status::Ok();
}

Status RunDelete(const TopicOptions& options) {
  RETURN_IF_ERROR(DeleteTopic(options.client, options.name));
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
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, options.client.timeout_ms,
                             "DescribeConfigs", [client, &resources](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_DescribeConfigs(client, resources, 1, o, q);
                             }));
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
    if (create->parsed()) return Report("create", RunCreate(*options));
    if (list->parsed()) return Report("list", ListAllTopics(*options));
    if (describe->parsed()) return Report("describe", DescribeTopic(*options));
    if (remove->parsed()) return Report("delete", RunDelete(*options));
    return 2;
  };
}

}  // namespace millstream::tools
