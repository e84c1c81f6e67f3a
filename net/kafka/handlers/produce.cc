// Produce: each partition's records are appended as sent (RecordBatch v2, possibly
// compressed) and answered as `acks` says: -1 when durable (group-committed
// fdatasync), 1 when written, 0 not at all. Topics are auto-created when the broker
// allows it. Each batch is checked against the topic's max.message.bytes, and
// batches of idempotent producers against their sequences (duplicates answered
// with the original offsets, gaps OUT_OF_ORDER_SEQUENCE_NUMBER).
#include "base/endian.h"
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/produce.h"
#include "net/kafka/respond.h"
#include "storage/record_batch_format.h"

namespace millstream::net::kafka {

namespace {

// The batches in a partition's records, each whole; an error when they do not
// tile the bytes exactly.
Result<std::vector<MutableBytes>> SplitBatches(MutableBytes records) {
  std::vector<MutableBytes> batches;
  while (!records.empty()) {
    if (records.size() < storage::batch_format::kLogOverhead) return Corruption("truncated batch");
    int32_t length = LoadBigEndian<int32_t>(records.data() + storage::batch_format::kBatchLength);
    if (length <= 0 || static_cast<size_t>(length) > records.size() - storage::batch_format::kLogOverhead) {
      return Corruption("batch length " + std::to_string(length) + " runs past the records");
    }
    size_t size = static_cast<size_t>(length) + storage::batch_format::kLogOverhead;
    batches.push_back(records.first(size));
    records = records.subspan(size);
  }
  if (batches.empty()) return Corruption("no record batch");
  return batches;
}

engine::Acks AcksOf(int16_t acks) {
  if (acks == 0) return engine::Acks::kNone;
  if (acks == 1) return engine::Acks::kWritten;
  return engine::Acks::kDurable;
}

}  // namespace

Task<HandlerResult> HandleProduce(RequestContext& context, ConstBytes body) {
  Result<ProduceRequest> request = DecodeRequestBody<ProduceApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  bool acks_valid = request->acks == 0 || request->acks == 1 || request->acks == -1;
  ProduceResponse response;
  for (const ProduceRequest::Topic& topic : request->topic_data) {
    ProduceResponse::Topic out;
    out.name = topic.name;
    Result<engine::Broker::TopicInfo> info = Result<engine::Broker::TopicInfo>(NotFound(""));
    if (acks_valid) info = co_await context.broker.EnsureTopic(context.shard, topic.name);
    for (const ProduceRequest::Partition& partition : topic.partition_data) {
      ProduceResponse::Partition result;
      result.index = partition.index;
      result.base_offset = Offset(-1);
      if (!acks_valid) {
        result.error_code = Code(ErrorCode::kInvalidRequiredAcks);
      } else if (!info.ok()) {
        result.error_code = engine::ValidateTopicName(topic.name).ok()
                                ? ErrorCodeFor(info.status(), Operation::kProduce)
                                : Code(ErrorCode::kInvalidTopicException);
      } else {
        // The records borrow from this request's frame, which the connection owns
        // and nobody else reads: the log may rewrite baseOffset in it.
        ConstBytes records = partition.records.bytes();
        MutableBytes mutable_records(const_cast<std::byte*>(records.data()), records.size());
        Result<std::vector<MutableBytes>> batches = SplitBatches(mutable_records);
        if (!batches.ok()) {
          result.error_code = Code(ErrorCode::kCorruptMessage);
          result.error_message = batches.status().message();
        }
        for (size_t i = 0; batches.ok() && i < batches->size(); ++i) {
          MutableBytes batch = (*batches)[i];
          if (batch.size() > static_cast<size_t>(info->config.max_message_bytes)) {
            result.error_code = Code(ErrorCode::kMessageTooLarge);
            break;
          }
          Result<engine::ProduceResult> appended = co_await context.broker.Produce(
              context.shard, topic.name, partition.index.value(), batch, AcksOf(request->acks));
          if (!appended.ok()) {
            result.error_code = ErrorCodeFor(appended.status(), Operation::kProduce);
            result.error_message = appended.status().message();
            break;
          }
          if (appended->check == engine::SequenceCheck::kOutOfOrder) {
            result.error_code = Code(ErrorCode::kOutOfOrderSequenceNumber);
            break;
          }
          if (appended->check == engine::SequenceCheck::kFencedEpoch) {
            result.error_code = Code(ErrorCode::kInvalidProducerEpoch);
            break;
          }
          // A duplicate is answered NO_ERROR with its original offsets, as Kafka does.
          if (i == 0) result.base_offset = appended->info.base_offset;
        }
      }
      out.partition_responses.push_back(std::move(result));
    }
    response.responses.push_back(std::move(out));
  }
  if (request->acks == 0 && acks_valid) co_return std::optional<std::vector<std::byte>>();
  co_return Respond<ProduceApi>(context, response);
}

}  // namespace millstream::net::kafka
