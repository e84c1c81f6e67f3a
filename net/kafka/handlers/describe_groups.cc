// DescribeGroups: state, protocol and members (with their subscription and
// assignment bytes) of each group asked for. An unknown group is answered as
// Kafka does: no error, state "Dead", no members.
#include <deque>

#include "net/kafka/handler.h"
#include "net/kafka/protocol/describe_groups.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleDescribeGroups(RequestContext& context, ConstBytes body) {
  Result<DescribeGroupsRequest> request = DecodeRequestBody<DescribeGroupsApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  // The descriptions own the bytes the response borrows until it is encoded; a
  // deque, so that adding one never moves those already borrowed from.
  std::deque<engine::GroupDescription> descriptions;
  DescribeGroupsResponse response;
  for (const std::string& id : request->groups) {
    Result<engine::GroupDescription> d = co_await context.broker.groups().Describe(context.shard, id);
    DescribeGroupsResponse::Group out;
    out.group_id = id;
    if (!d.ok()) {
      out.group_state = engine::GroupStateName(engine::GroupState::kDead);
      response.groups.push_back(std::move(out));
      continue;
    }
    descriptions.push_back(std::move(*d));
    const engine::GroupDescription& g = descriptions.back();
    out.group_state = engine::GroupStateName(g.state);
    out.protocol_type = g.protocol_type;
    out.protocol_data = g.protocol_name;
    for (const engine::MemberDescription& m : g.members) {
      out.members.push_back({m.member_id, m.group_instance_id, m.client_id, m.client_host,
                             BytesRef(ConstBytes(m.metadata)), BytesRef(ConstBytes(m.assignment))});
    }
    response.groups.push_back(std::move(out));
  }
  co_return Respond<DescribeGroupsApi>(context, response);
}

}  // namespace millstream::net::kafka
