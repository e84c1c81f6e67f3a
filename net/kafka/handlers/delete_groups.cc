// DeleteGroups: forgets a group and its committed offsets (tombstones in the
// offsets log, durable before the answer). A group with members gets
// NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/delete_groups.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleDeleteGroups(RequestContext& context, ConstBytes body) {
  Result<DeleteGroupsRequest> request = DecodeRequestBody<DeleteGroupsApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  DeleteGroupsResponse response;
  for (const std::string& id : request->groups_names) {
    Result<engine::GroupError> deleted = co_await context.broker.groups().Delete(context.shard, id);
    int16_t code = deleted.ok() ? ErrorCodeFor(*deleted) : ErrorCodeFor(deleted.status(), Operation::kGroup);
    response.results.push_back({id, code});
  }
  co_return Respond<DeleteGroupsApi>(context, response);
}

}  // namespace millstream::net::kafka
