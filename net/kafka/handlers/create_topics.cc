// CreateTopics: partitions from the request (or the broker default for -1), the
// settings Millstream has (docs/protocol.md), replication factor 1 or -1 only (one
// broker), validate_only honoured.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/create_topics.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleCreateTopics(RequestContext& context, ConstBytes body) {
  Result<CreateTopicsRequest> request = DecodeRequestBody<CreateTopicsApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  CreateTopicsResponse response;
  for (const CreateTopicsRequest::Topic& topic : request->topics) {
    CreateTopicsResponse::Topic result;
    result.name = topic.name;
    engine::TopicConfig config = context.broker.config().topic_defaults;
    config.partitions = topic.num_partitions == -1 ? context.broker.config().default_partitions
                                                   : topic.num_partitions;
    std::map<std::string, std::string> settings;
    for (const CreateTopicsRequest::Config& c : topic.configs) {
      if (c.value) settings[c.name] = *c.value;
    }
    Status status = engine::ValidateTopicName(topic.name);
    if (!status.ok()) {
      result.error_code = Code(ErrorCode::kInvalidTopicException);
    } else if (topic.replication_factor != -1 && topic.replication_factor != 1) {
      result.error_code = Code(ErrorCode::kInvalidReplicationFactor);
      status = InvalidArgument("replication factor must be 1: Millstream is one broker");
    } else if (config.partitions < 1 || !topic.assignments.empty()) {
      result.error_code = Code(ErrorCode::kInvalidPartitions);
      status = InvalidArgument("partitions must be at least 1, without manual assignments");
    } else if (Status applied = config.Apply(settings); !applied.ok()) {
      status = applied;
      result.error_code = Code(ErrorCode::kInvalidConfig);
    } else if (request->validate_only) {
      if (context.broker.FindTopic(topic.name)) {
        status = Busy("topic " + topic.name + " already exists");
        result.error_code = ErrorCodeFor(status, Operation::kCreateTopic);
      }
    } else {
      status = co_await context.broker.CreateTopic(context.shard, topic.name, config);
      result.error_code = ErrorCodeFor(status, Operation::kCreateTopic);
    }
    if (!status.ok()) result.error_message = status.message();
    response.topics.push_back(std::move(result));
  }
  co_return Respond<CreateTopicsApi>(context, response);
}

}  // namespace millstream::net::kafka
