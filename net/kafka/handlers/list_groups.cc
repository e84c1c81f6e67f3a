// ListGroups: every group the broker knows, with members or only committed
// offsets (protocol type "" for the latter, as Kafka lists such groups).
#include "net/kafka/handler.h"
#include "net/kafka/protocol/list_groups.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleListGroups(RequestContext& context, ConstBytes body) {
  Result<ListGroupsRequest> request = DecodeRequestBody<ListGroupsApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  std::vector<engine::GroupListing> groups = co_await context.broker.groups().List(context.shard);
  ListGroupsResponse response;
  for (const engine::GroupListing& g : groups) response.groups.push_back({g.group_id, g.protocol_type});
  co_return Respond<ListGroupsApi>(context, response);
}

}  // namespace millstream::net::kafka
