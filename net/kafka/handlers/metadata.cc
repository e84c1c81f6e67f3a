// Metadata: this broker is the whole cluster, leader of every partition. Topics
// asked for by name are created when auto-creation is on and the request allows it
// (v4+; older versions always allow it, as in Kafka).
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/metadata.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

namespace {

MetadataResponse::Topic Describe(const RequestContext& context, const engine::Broker::TopicInfo& topic) {
  MetadataResponse::Topic out;
  out.name = topic.name;
  for (int32_t p = 0; p < topic.config.partitions; ++p) {
    MetadataResponse::Partition partition;
    partition.partition_index = PartitionId(p);
    partition.leader_id = context.server.node_id;
    partition.leader_epoch = 0;
    partition.replica_nodes = {context.server.node_id};
    partition.isr_nodes = {context.server.node_id};
    out.partitions.push_back(std::move(partition));
  }
  return out;
}

}  // namespace

Task<HandlerResult> HandleMetadata(RequestContext& context, ConstBytes body) {
  int16_t version = context.header.api_version;
  Result<MetadataRequest> request = DecodeRequestBody<MetadataApi>(version, body);
  if (!request.ok()) co_return request.status();
  MetadataResponse response;
  response.brokers.push_back({context.server.node_id, context.server.advertised_host,
                              context.server.advertised_port, std::nullopt});
  response.cluster_id = context.server.cluster_id;
  response.controller_id = context.server.node_id;
  // v0 asks for all topics with an empty list; v1+ with a null one.
  bool all = !request->topics.has_value() || (version == 0 && request->topics->empty());
  if (all) {
    for (const engine::Broker::TopicInfo& topic : context.broker.Topics()) {
      response.topics.push_back(Describe(context, topic));
    }
  } else {
    bool may_create = version < 4 || request->allow_auto_topic_creation;
    for (const MetadataRequest::Topic& wanted : *request->topics) {
      Result<engine::Broker::TopicInfo> topic = Result<engine::Broker::TopicInfo>(NotFound("unknown topic"));
      if (std::optional<engine::Broker::TopicInfo> known = context.broker.FindTopic(wanted.name)) {
        topic = *known;
      } else if (!engine::ValidateTopicName(wanted.name).ok()) {
        MetadataResponse::Topic invalid;
        invalid.name = wanted.name;
        invalid.error_code = Code(ErrorCode::kInvalidTopicException);
        response.topics.push_back(std::move(invalid));
        continue;
      } else if (may_create) {
        topic = co_await context.broker.EnsureTopic(context.shard, wanted.name);
      }
      if (topic.ok()) {
        response.topics.push_back(Describe(context, *topic));
      } else {
        MetadataResponse::Topic missing;
        missing.name = wanted.name;
        missing.error_code = ErrorCodeFor(topic.status(), Operation::kMetadata);
        response.topics.push_back(std::move(missing));
      }
    }
  }
  co_return Respond<MetadataApi>(context, response);
}

}  // namespace millstream::net::kafka
