// Produce: each partition's records are appended as sent (RecordBatch v2, possibly
// compressed) and answered as `acks` says: -1 when durable (group-committed
// fdatasync), 1 when written, 0 not at all. Topics are auto-created when the broker
// allows it. Each batch is checked against the topic's max.message.bytes, and
// batches of idempotent producers against their sequences (duplicates answered
// with the original offsets, gaps OUT_OF_ORDER_SEQUENCE_NUMBER).
//
// Order: a connection's produce requests append in the order they arrived (the
// request's turn), while their waits for acknowledgement overlap, with each other
// and across the partitions of one request.
#include "base/clock.h"
#include "base/endian.h"
#include "base/wait_list.h"
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/produce.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

namespace {

// RecordBatch v2 framing, enough to split a partition's records into batches:
// int64 baseOffset, int32 batchLength counting the bytes after it.
constexpr size_t kLengthField = 8;
constexpr size_t kLogOverhead = 12;

// The batches in a partition's records, each whole; an error when they do not
// tile the bytes exactly.
Result<std::vector<MutableBytes>> SplitBatches(MutableBytes records) {
  std::vector<MutableBytes> batches;
  while (!records.empty()) {
    if (records.size() < kLogOverhead) return Corruption("truncated batch");
    int32_t length = LoadBigEndian<int32_t>(records.data() + kLengthField);
    if (length <= 0 || static_cast<size_t>(length) > records.size() - kLogOverhead) {
      return Corruption("batch length " + std::to_string(length) + " runs past the records");
    }
    size_t size = static_cast<size_t>(length) + kLogOverhead;
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

// One appended batch whose acknowledgement is still to come, and where its answer
// goes: response.responses[topic_index].partition_responses[partition_index].
struct Pending {
  std::string topic;
  int32_t partition;
  storage::AppendInfo info;
  size_t topic_index;
  size_t partition_index;
};

// Waits for one batch's acknowledgement, records a failure, and counts down.
Task<void> AwaitOne(RequestContext& context, Pending pending, engine::Acks acks,
                    ProduceResponse& response, int& left, WaitList& done) {
  Status acked = co_await context.broker.AwaitAcks(context.shard, pending.topic, pending.partition,
                                                   pending.info, acks);
  ProduceResponse::Partition& result =
      response.responses[pending.topic_index].partition_responses[pending.partition_index];
  if (!acked.ok() && result.error_code == 0) {
    result.error_code = ErrorCodeFor(acked, Operation::kProduce);
    result.error_message = acked.message();
  }
  if (--left == 0) done.WakeAll(context.shard.loop());
}

// Charges the request's bytes to the client's and topics' produce quotas; over
// them, the answer carries the throttle time and the connection is muted for it
// (the records are appended all the same, as Kafka does).
void ChargeQuotas(RequestContext& context, const ProduceRequest& request, ProduceResponse& response) {
  if (!context.quotas.any(engine::QuotaDirection::kProduce)) return;
  engine::TopicBytes bytes;
  for (const ProduceRequest::Topic& topic : request.topic_data) {
    size_t sum = 0;
    for (const ProduceRequest::Partition& partition : topic.partition_data) sum += partition.records.bytes().size();
    bytes.emplace_back(topic.name, sum);
  }
  int32_t throttle_ms = context.quotas.Record(engine::QuotaDirection::kProduce,
                                              context.header.client_id.value_or(""), bytes);
  if (throttle_ms == 0) return;
  response.throttle_time_ms = throttle_ms;
  MuteForThrottle(context, engine::QuotaDirection::kProduce, throttle_ms);
}

}  // namespace

Task<HandlerResult> HandleProduce(RequestContext& context, ConstBytes body) {
  int64_t started_ns = SystemClock::Instance().MonotonicNanos();
  Result<ProduceRequest> request = DecodeRequestBody<ProduceApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  bool acks_valid = request->acks == 0 || request->acks == 1 || request->acks == -1;
  ProduceResponse response;
  std::vector<Pending> pending;
  co_await context.turns.WaitTurn(context.turn);
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
          Result<engine::ProduceResult> appended =
              co_await context.broker.Append(context.shard, topic.name, partition.index.value(), batch);
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
          if (i == 0) {
            result.base_offset = appended->info.base_offset;
            result.log_append_time_ms = appended->log_append_time;
          }
          pending.push_back({topic.name, partition.index.value(), appended->info,
                             response.responses.size(), out.partition_responses.size()});
        }
      }
      out.partition_responses.push_back(std::move(result));
    }
    response.responses.push_back(std::move(out));
  }
  // Appended in order: the connection's next produce request may append now.
  context.turns.Finish(context.turn, context.shard.loop());
  ChargeQuotas(context, *request, response);
  // All acknowledgements at once: their fdatasyncs overlap.
  int left = static_cast<int>(pending.size());
  WaitList done;
  for (const Pending& p : pending) {
    context.shard.loop().Spawn(AwaitOne(context, p, AcksOf(request->acks), response, left, done));
  }
  if (left > 0) co_await done.Wait();
  if (acks_valid) {
    size_t level = request->acks == 0 ? 0 : request->acks == 1 ? 1 : 2;
    context.metrics.produce_ack_seconds[level].Record(
        static_cast<double>(SystemClock::Instance().MonotonicNanos() - started_ns) / 1e9);
  }
  if (request->acks == 0 && acks_valid) co_return std::optional<std::vector<std::byte>>();
  co_return Respond<ProduceApi>(context, response);
}

}  // namespace millstream::net::kafka
