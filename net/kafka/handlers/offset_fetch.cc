// OffsetFetch: a group's committed offsets for the partitions asked for, or all
// of them (topics null, v2+). A partition without a committed offset answers -1
// with empty metadata, and the client falls back to auto.offset.reset.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/offset_fetch.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleOffsetFetch(RequestContext& context, ConstBytes body) {
  Result<OffsetFetchRequest> request = DecodeRequestBody<OffsetFetchApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  engine::GroupOffsets committed = co_await context.broker.groups().FetchOffsets(context.shard, request->group_id);
  OffsetFetchResponse response;
  auto answer = [](const engine::CommittedOffset* c, PartitionId index) {
    OffsetFetchResponse::Partition p;
    p.partition_index = index;
    p.committed_offset = Offset(c != nullptr ? c->offset : -1);
    p.metadata = c != nullptr ? c->metadata.value_or("") : std::string();
    return p;
  };
  if (!request->topics) {
    for (const auto& [tp, value] : committed) {
      if (response.topics.empty() || response.topics.back().name != tp.topic) {
        response.topics.push_back({tp.topic, {}});
      }
      response.topics.back().partitions.push_back(answer(&value, PartitionId(tp.partition)));
    }
    co_return Respond<OffsetFetchApi>(context, response);
  }
  for (const auto& topic : *request->topics) {
    OffsetFetchResponse::Topic out{topic.name, {}};
    for (PartitionId index : topic.partition_indexes) {
      auto it = committed.find({topic.name, index.value()});
      out.partitions.push_back(answer(it != committed.end() ? &it->second : nullptr, index));
    }
    response.topics.push_back(std::move(out));
  }
  co_return Respond<OffsetFetchApi>(context, response);
}

}  // namespace millstream::net::kafka
