// JoinGroup: hands the join to the group's state machine (engine/consumer_group.h)
// and answers when the join phase ends. The leader's answer lists every member
// with its subscription for the chosen protocol; the others get an empty list.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/join_group.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleJoinGroup(RequestContext& context, ConstBytes body) {
  int16_t version = context.header.api_version;
  Result<JoinGroupRequest> request = DecodeRequestBody<JoinGroupApi>(version, body);
  if (!request.ok()) co_return request.status();
  JoinGroupResponse response;
  if (request->group_id.empty()) {
    response.error_code = Code(ErrorCode::kInvalidGroupId);
    co_return Respond<JoinGroupApi>(context, response);
  }
  engine::JoinRequest join;
  join.member_id = request->member_id;
  join.group_instance_id = request->group_instance_id;
  join.client_id = context.header.client_id.value_or("");
  join.client_host = std::string(context.client_host);
  join.session_timeout_ms = request->session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout serves for both, as in Kafka.
  join.rebalance_timeout_ms =
      request->rebalance_timeout_ms >= 0 ? request->rebalance_timeout_ms : request->session_timeout_ms;
  join.protocol_type = request->protocol_type;
  for (const auto& p : request->protocols) {
    ConstBytes metadata = p.metadata.bytes();
    join.protocols.emplace_back(p.name, std::vector<std::byte>(metadata.begin(), metadata.end()));
  }
  join.require_known_member_id = version >= 4;  // KIP-394
  engine::JoinResult joined = co_await context.broker.groups().Join(context.shard, request->group_id, std::move(join));
  response.error_code = ErrorCodeFor(joined.error);
  response.generation_id = joined.generation;
  response.protocol_name = joined.protocol_name;
  response.leader = joined.leader;
  response.member_id = joined.member_id;
  // `joined` owns the metadata the response borrows until it is encoded.
  for (const engine::JoinedMember& m : joined.members) {
    response.members.push_back({m.member_id, m.group_instance_id, BytesRef(ConstBytes(m.metadata))});
  }
  co_return Respond<JoinGroupApi>(context, response);
}

}  // namespace millstream::net::kafka
