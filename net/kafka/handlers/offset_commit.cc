// OffsetCommit: a group member's (or, with generation -1 and no member id, a
// manually assigning consumer's) positions, durable in the offsets log before
// the answer (engine/offset_store.h). Partitions of unknown topics get
// UNKNOWN_TOPIC_OR_PARTITION and are not stored; metadata over
// offset.metadata.max.bytes gets OFFSET_METADATA_TOO_LARGE.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/offset_commit.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleOffsetCommit(RequestContext& context, ConstBytes body) {
  Result<OffsetCommitRequest> request = DecodeRequestBody<OffsetCommitApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  OffsetCommitResponse response;
  // Where each accepted entry's outcome goes in the response.
  std::vector<std::pair<size_t, size_t>> slots;
  std::vector<std::pair<engine::TopicPartition, engine::CommittedOffset>> offsets;
  for (const auto& topic : request->topics) {
    OffsetCommitResponse::Topic out{topic.name, {}};
    std::optional<engine::Broker::TopicInfo> info = context.broker.FindTopic(topic.name);
    for (const auto& p : topic.partitions) {
      int32_t index = p.partition_index.value();
      if (!info || index < 0 || index >= info->config.partitions) {
        out.partitions.push_back({p.partition_index, Code(ErrorCode::kUnknownTopicOrPartition)});
        continue;
      }
      slots.emplace_back(response.topics.size(), out.partitions.size());
      out.partitions.push_back({p.partition_index, Code(ErrorCode::kNone)});
      offsets.push_back({{topic.name, index}, {p.committed_offset.value(), p.committed_metadata, 0}});
    }
    response.topics.push_back(std::move(out));
  }
  if (offsets.empty()) co_return Respond<OffsetCommitApi>(context, response);
  Result<engine::GroupCoordinator::CommitResult> committed = co_await context.broker.groups().Commit(
      context.shard, request->group_id, request->member_id, request->generation_id, std::move(offsets));
  for (size_t i = 0; i < slots.size(); ++i) {
    int16_t code = Code(ErrorCode::kNone);
    if (!committed.ok()) {
      code = ErrorCodeFor(committed.status(), Operation::kGroup);
    } else if (committed->error != engine::GroupError::kNone) {
      code = ErrorCodeFor(committed->error);
    } else if (committed->outcomes[i] == engine::CommitOutcome::kMetadataTooLarge) {
      code = Code(ErrorCode::kOffsetMetadataTooLarge);
    }
    response.topics[slots[i].first].partitions[slots[i].second].error_code = code;
  }
  co_return Respond<OffsetCommitApi>(context, response);
}

}  // namespace millstream::net::kafka
