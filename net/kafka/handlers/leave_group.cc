// LeaveGroup: removes one member (v0-2) or several (v3+, by member id or static
// instance id); the others rebalance without waiting for a session timeout.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/leave_group.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleLeaveGroup(RequestContext& context, ConstBytes body) {
  int16_t version = context.header.api_version;
  Result<LeaveGroupRequest> request = DecodeRequestBody<LeaveGroupApi>(version, body);
  if (!request.ok()) co_return request.status();
  LeaveGroupResponse response;
  if (version < 3) {
    engine::GroupError error = co_await context.broker.groups().Leave(
        context.shard, request->group_id, request->member_id, std::nullopt);
    response.error_code = ErrorCodeFor(error);
    co_return Respond<LeaveGroupApi>(context, response);
  }
  for (const auto& member : request->members) {
    engine::GroupError error = co_await context.broker.groups().Leave(
        context.shard, request->group_id, member.member_id, member.group_instance_id);
    response.members.push_back({member.member_id, member.group_instance_id, ErrorCodeFor(error)});
  }
  co_return Respond<LeaveGroupApi>(context, response);
}

}  // namespace millstream::net::kafka
