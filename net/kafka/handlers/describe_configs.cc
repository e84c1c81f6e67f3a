// DescribeConfigs for topics: every setting Millstream has (docs/protocol.md), or
// those asked for; an unknown key is left out, as Kafka does. Broker resources
// get an empty list: the broker's settings are flags and a TOML file, not
// dynamic configs.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/describe_configs.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

namespace {

constexpr int8_t kSourceTopicConfig = 1;  // DYNAMIC_TOPIC_CONFIG
constexpr int8_t kSourceDefault = 5;      // DEFAULT_CONFIG

}  // namespace

Task<HandlerResult> HandleDescribeConfigs(RequestContext& context, ConstBytes body) {
  int16_t version = context.header.api_version;
  Result<DescribeConfigsRequest> request = DecodeRequestBody<DescribeConfigsApi>(version, body);
  if (!request.ok()) co_return request.status();
  DescribeConfigsResponse response;
  std::map<std::string, std::string> defaults = context.broker.config().topic_defaults.ToMap();
  for (const DescribeConfigsRequest::Resource& resource : request->resources) {
    DescribeConfigsResponse::ResourceResult result;
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    if (resource.resource_type == kResourceTypeTopic) {
      std::optional<engine::Broker::TopicInfo> topic = context.broker.FindTopic(resource.resource_name);
      if (!topic) {
        result.error_code = Code(ErrorCode::kUnknownTopicOrPartition);
        result.error_message = "unknown topic " + resource.resource_name;
      } else {
        for (const auto& [key, value] : topic->config.ToMap()) {
          if (resource.configuration_keys &&
              std::find(resource.configuration_keys->begin(), resource.configuration_keys->end(), key) ==
                  resource.configuration_keys->end()) {
            continue;
          }
          DescribeConfigsResponse::Config config;
          config.name = key;
          config.value = value;
          bool is_default = defaults[key] == value;
          config.is_default = is_default;
          config.config_source = is_default ? kSourceDefault : kSourceTopicConfig;
          result.configs.push_back(std::move(config));
        }
      }
    } else if (resource.resource_type != kResourceTypeBroker) {
      result.error_code = Code(ErrorCode::kInvalidRequest);
      result.error_message = "only topic and broker resources are known";
    }
    response.results.push_back(std::move(result));
  }
  co_return Respond<DescribeConfigsApi>(context, response);
}

}  // namespace millstream::net::kafka
