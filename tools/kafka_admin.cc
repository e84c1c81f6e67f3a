#include "tools/kafka_admin.h"

namespace millstream::tools {

namespace {

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

}  // namespace

Result<RdPtr<rd_kafka_t>> NewAdminClient(const ClientOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options, {{"allow.auto.create.topics", "false"}}));
  return NewClient(RD_KAFKA_PRODUCER, std::move(conf));
}

// The request's own timeout (set in its options) ends it first; the extra second
// only guards against a result that never comes.
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

Status CreateTopic(const ClientOptions& options, const std::string& name, int partitions,
                   const std::vector<std::string>& configs) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options));
  char error[512] = "";
  // Replication factor 1: Millstream is a single broker.
  RdPtr<rd_kafka_NewTopic_t> topic(
      rd_kafka_NewTopic_new(name.c_str(), partitions, 1, error, sizeof(error)));
  if (!topic) return InvalidArgument(error);
  for (const std::string& setting : configs) {
    ASSIGN_OR_RETURN(auto kv, SplitKeyValue(setting));
    rd_kafka_resp_err_t err =
        rd_kafka_NewTopic_set_config(topic.get(), kv.first.c_str(), kv.second.c_str());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "--config " + setting);
  }
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, options.timeout_ms, name,
                             [&client, &topics](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_CreateTopics(client.get(), topics, 1, o, q);
                             }));
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  if (result == nullptr) return IoError(name + ": unexpected answer to CreateTopics");
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  return TopicResult(results, count, name);
}

Status DeleteTopic(const ClientOptions& options, const std::string& name) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options));
  RdPtr<rd_kafka_DeleteTopic_t> topic(rd_kafka_DeleteTopic_new(name.c_str()));
  rd_kafka_DeleteTopic_t* topics[] = {topic.get()};
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, options.timeout_ms, name,
                             [&client, &topics](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_DeleteTopics(client.get(), topics, 1, o, q);
                             }));
  const rd_kafka_DeleteTopics_result_t* result = rd_kafka_event_DeleteTopics_result(event.get());
  if (result == nullptr) return IoError(name + ": unexpected answer to DeleteTopics");
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(result, &count);
  return TopicResult(results, count, name);
}

}  // namespace millstream::tools
