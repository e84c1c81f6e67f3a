// SyncGroup: the leader's assignments end the rebalance; every member (the
// leader too) gets its own assignment bytes, which the broker never reads.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/sync_group.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleSyncGroup(RequestContext& context, ConstBytes body) {
  Result<SyncGroupRequest> request = DecodeRequestBody<SyncGroupApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  std::vector<std::pair<std::string, std::vector<std::byte>>> assignments;
  for (const auto& a : request->assignments) {
    ConstBytes bytes = a.assignment.bytes();
    assignments.emplace_back(a.member_id, std::vector<std::byte>(bytes.begin(), bytes.end()));
  }
  engine::SyncResult synced = co_await context.broker.groups().Sync(
      context.shard, request->group_id, request->member_id, request->generation_id,
      request->group_instance_id, std::move(assignments));
  SyncGroupResponse response;
  response.error_code = ErrorCodeFor(synced.error);
  response.assignment = BytesRef(ConstBytes(synced.assignment));  // `synced` outlives the encoding
  co_return Respond<SyncGroupApi>(context, response);
}

}  // namespace millstream::net::kafka
