// DeleteRecords: moves each partition's log start to the given offset (-1: the
// high watermark); the answer's low watermark is the new start. An offset past the
// high watermark is OFFSET_OUT_OF_RANGE.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/delete_records.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleDeleteRecords(RequestContext& context, ConstBytes body) {
  Result<DeleteRecordsRequest> request = DecodeRequestBody<DeleteRecordsApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  DeleteRecordsResponse response;
  for (const DeleteRecordsRequest::Topic& topic : request->topics) {
    DeleteRecordsResponse::Topic out;
    out.name = topic.name;
    for (const DeleteRecordsRequest::Partition& partition : topic.partitions) {
      DeleteRecordsResponse::Partition result;
      result.partition_index = partition.partition_index;
      result.low_watermark = Offset(-1);
      Result<Offset> start = co_await context.broker.DeleteRecords(
          context.shard, topic.name, partition.partition_index.value(), partition.offset);
      if (start.ok()) {
        result.low_watermark = *start;
      } else {
        result.error_code = ErrorCodeFor(start.status(), Operation::kFetch);
      }
      out.partitions.push_back(result);
    }
    response.topics.push_back(std::move(out));
  }
  co_return Respond<DeleteRecordsApi>(context, response);
}

}  // namespace millstream::net::kafka
