// DeleteTopics: closes each topic's logs and removes its files.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/delete_topics.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleDeleteTopics(RequestContext& context, ConstBytes body) {
  Result<DeleteTopicsRequest> request = DecodeRequestBody<DeleteTopicsApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  DeleteTopicsResponse response;
  for (const std::string& name : request->topic_names) {
    Status deleted = co_await context.broker.DeleteTopic(context.shard, name);
    response.responses.push_back({name, ErrorCodeFor(deleted, Operation::kDeleteTopic)});
  }
  co_return Respond<DeleteTopicsApi>(context, response);
}

}  // namespace millstream::net::kafka
