// Heartbeat: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
// rejoin, ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID that it was left behind.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/heartbeat.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleHeartbeat(RequestContext& context, ConstBytes body) {
  Result<HeartbeatRequest> request = DecodeRequestBody<HeartbeatApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  engine::GroupError error = co_await context.broker.groups().Heartbeat(
      context.shard, request->group_id, request->member_id, request->generation_id,
      request->group_instance_id);
  HeartbeatResponse response;
  response.error_code = ErrorCodeFor(error);
  co_return Respond<HeartbeatApi>(context, response);
}

}  // namespace millstream::net::kafka
