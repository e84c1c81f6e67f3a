// OffsetFetch: a group's committed offsets for the partitions asked for, or all
// of them (topics null, v2+). A partition without a committed offset answers -1
// with empty metadata, and the client falls back to auto.offset.reset.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/offset_fetch.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleOffsetFetch(RequestContext& context, ConstBytes body) {
  int16_t version = context.header.api_version;
  Result<OffsetFetchRequest> request = DecodeRequestBody<OffsetFetchApi>(version, body);
  // librdkafka 2.0.2 asks for every topic (flexible versions) with a 4-byte
  // placeholder where the 1-byte null array belongs, so 3 zero bytes trail the
  // request (its admin ListConsumerGroupOffsets does this). The Java broker
  // ignores trailing bytes; this exact case is accepted, nothing else is.
  if (!request.ok() && version >= 6 && body.size() > 3) {
    ConstBytes tail = body.last(3);
    bool zeros = tail[0] == std::byte{0} && tail[1] == std::byte{0} && tail[2] == std::byte{0};
    Result<OffsetFetchRequest> trimmed = DecodeRequestBody<OffsetFetchApi>(version, body.first(body.size() - 3));
    if (zeros && trimmed.ok() && !trimmed->topics) request = std::move(trimmed);
  }
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
