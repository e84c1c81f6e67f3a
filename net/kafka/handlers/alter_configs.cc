// AlterConfigs for topics (non-incremental, as Kafka's: the settings given replace
// all of the topic's; those left out return to their defaults). validate_only
// checks without changing anything.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/alter_configs.h"
#include "net/kafka/protocol/describe_configs.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleAlterConfigs(RequestContext& context, ConstBytes body) {
  Result<AlterConfigsRequest> request = DecodeRequestBody<AlterConfigsApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  AlterConfigsResponse response;
  for (const AlterConfigsRequest::Resource& resource : request->resources) {
    AlterConfigsResponse::ResourceResult result;
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    if (resource.resource_type != kResourceTypeTopic) {
      result.error_code = Code(ErrorCode::kInvalidRequest);
      result.error_message = "only topic settings can be changed";
    } else {
      std::map<std::string, std::string> settings;
      for (const AlterConfigsRequest::Config& config : resource.configs) {
        if (config.value) settings[config.name] = *config.value;
      }
      Status altered = co_await context.broker.AlterTopicConfig(context.shard, resource.resource_name,
                                                                settings, request->validate_only);
      result.error_code = ErrorCodeFor(altered, Operation::kCreateTopic);
      if (altered.code() == StatusCode::kNotFound) result.error_code = Code(ErrorCode::kUnknownTopicOrPartition);
      if (!altered.ok()) result.error_message = altered.message();
    }
    response.responses.push_back(std::move(result));
  }
  co_return Respond<AlterConfigsApi>(context, response);
}

}  // namespace millstream::net::kafka
