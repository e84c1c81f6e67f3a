// ListOffsets: -2 is the log start, -1 the high watermark (the same as the last
// stable offset: no transactions), any other timestamp the first batch whose
// newest record is at or after it (-1 and -1 when there is none, as Kafka
// answers). v0 answers with an offsets array.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/list_offsets.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleListOffsets(RequestContext& context, ConstBytes body) {
  int16_t version = context.header.api_version;
  Result<ListOffsetsRequest> request = DecodeRequestBody<ListOffsetsApi>(version, body);
  if (!request.ok()) co_return request.status();
  ListOffsetsResponse response;
  for (const ListOffsetsRequest::Topic& topic : request->topics) {
    ListOffsetsResponse::Topic out;
    out.name = topic.name;
    for (const ListOffsetsRequest::Partition& partition : topic.partitions) {
      ListOffsetsResponse::Partition result;
      result.partition_index = partition.partition_index;
      Result<engine::PartitionState> state =
          co_await context.broker.State(context.shard, topic.name, partition.partition_index.value());
      if (!state.ok()) {
        result.error_code = ErrorCodeFor(state.status(), Operation::kListOffsets);
      } else if (partition.timestamp == kEarliestTimestamp) {
        result.offset = state->log_start;
      } else if (partition.timestamp == kLatestTimestamp) {
        result.offset = state->high_watermark;
      } else {
        Result<Offset> found = co_await context.broker.OffsetForTimestamp(
            context.shard, topic.name, partition.partition_index.value(), partition.timestamp);
        if (!found.ok()) {
          result.error_code = ErrorCodeFor(found.status(), Operation::kListOffsets);
        } else if (*found < state->high_watermark) {
          result.offset = *found;
          result.timestamp = partition.timestamp;
        }
      }
      if (version == 0 && result.error_code == 0) result.old_style_offsets = {result.offset};
      out.partitions.push_back(std::move(result));
    }
    response.topics.push_back(std::move(out));
  }
  co_return Respond<ListOffsetsApi>(context, response);
}

}  // namespace millstream::net::kafka
