// Fetch: whole stored batches from each partition's fetch offset, at least one
// batch for the first partition with data even past max_bytes, high watermark and
// last stable offset (the same: no transactions). When fewer than min_bytes are
// there, the request is held (long poll) until data arrives on the first
// partition asked for, or for other partitions at the next 100 ms check, or until
// max_wait_ms passed.
#include <algorithm>
#include <deque>

#include "base/clock.h"
#include "base/endian.h"
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/fetch.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

namespace {

constexpr int32_t kOtherPartitionsCheckMs = 100;
// RecordBatch v2 framing (docs/storage-format.md, "Batch header"): int64
// baseOffset, int32 batchLength (bytes after it), ..., int32 recordsCount at 57.
constexpr size_t kLengthField = 8;
constexpr size_t kLogOverhead = 12;
constexpr size_t kRecordsCountField = 57;
constexpr size_t kBatchHeaderBytes = 61;

struct Gathered {
  FetchResponse response;
  // Owns what response.records borrow; a deque, so earlier buffers never move.
  std::deque<std::vector<std::byte>> buffers;
  size_t bytes = 0;
  bool any_error = false;  // answered at once: waiting would not change it
};

// Reads at most `max_bytes` (but at least one batch, Fetch v3+).
Task<Gathered> FetchAll(RequestContext& context, const FetchRequest& request, size_t max_bytes) {
  Gathered out;
  size_t budget = max_bytes;
  for (const FetchRequest::Topic& topic : request.topics) {
    FetchResponse::Topic topic_out;
    topic_out.topic = topic.topic;
    for (const FetchRequest::Partition& partition : topic.partitions) {
      FetchResponse::Partition result;
      result.partition_index = partition.partition;
      // At least one batch in the response, even past max_bytes (Fetch v3+).
      size_t limit = std::min<size_t>(static_cast<size_t>(std::max(partition.partition_max_bytes, 0)),
                                      out.bytes == 0 ? SIZE_MAX : budget);
      if (limit == 0 && out.bytes > 0) {
        engine::PartitionState state;
        Result<engine::PartitionState> s =
            co_await context.broker.State(context.shard, topic.topic, partition.partition.value());
        if (s.ok()) state = *s;
        result.error_code = ErrorCodeFor(s.status(), Operation::kFetch);
        result.high_watermark = state.high_watermark;
        result.last_stable_offset = state.high_watermark;
        result.log_start_offset = state.log_start;
        result.records = BytesRef(ConstBytes());
        topic_out.partitions.push_back(std::move(result));
        continue;
      }
      Result<engine::FetchResult> fetched = co_await context.broker.Fetch(
          context.shard, topic.topic, partition.partition.value(), partition.fetch_offset,
          std::max<size_t>(limit, 1), 0, 0);
      if (fetched.ok()) {
        result.high_watermark = fetched->state.high_watermark;
        result.last_stable_offset = fetched->state.high_watermark;
        result.log_start_offset = fetched->state.log_start;
        out.bytes += fetched->records.size();
        budget -= std::min(budget, fetched->records.size());
        out.buffers.push_back(std::move(fetched->records));
        result.records = BytesRef(ConstBytes(out.buffers.back()));
      } else {
        result.error_code = ErrorCodeFor(fetched.status(), Operation::kFetch);
        out.any_error = true;
        result.high_watermark = Offset(-1);
        result.records = BytesRef(ConstBytes());
      }
      topic_out.partitions.push_back(std::move(result));
    }
    out.response.responses.push_back(std::move(topic_out));
  }
  co_return out;
}

// Counts what the answer carries, per topic (RequestMetrics::fetched).
void CountAnswer(RequestMetrics& metrics, const FetchResponse& response) {
  for (const FetchResponse::Topic& topic : response.responses) {
    FetchTraffic& traffic = metrics.fetched[topic.topic];
    for (const FetchResponse::Partition& partition : topic.partitions) {
      ++traffic.partitions;
      ConstBytes batches = partition.records.bytes();
      traffic.bytes += batches.size();
      while (batches.size() >= kBatchHeaderBytes) {
        auto length = static_cast<size_t>(LoadBigEndian<int32_t>(batches.data() + kLengthField));
        if (length + kLogOverhead > batches.size()) break;
        traffic.records += static_cast<uint64_t>(LoadBigEndian<int32_t>(batches.data() + kRecordsCountField));
        batches = batches.subspan(length + kLogOverhead);
      }
    }
  }
}

// The bytes each topic of `response` carries, for the fetch quotas.
engine::TopicBytes BytesByTopic(const FetchResponse& response) {
  engine::TopicBytes bytes;
  for (const FetchResponse::Topic& topic : response.responses) {
    size_t sum = 0;
    for (const FetchResponse::Partition& partition : topic.partitions) sum += partition.records.bytes().size();
    bytes.emplace_back(topic.topic, sum);
  }
  return bytes;
}

// Takes what one round of reading may hold from the shard's fetch budget: the
// request's max_bytes, but no more than an eighth of the budget, so that a few
// consumers asking for 50 MiB each cannot take it all; waits while it is spent,
// until `deadline_ns` at most. 0 when the wait ran out (the fetch is answered
// empty, as at the end of any long poll). ShuttingDown when the connection
// closed meanwhile: nobody would read the answer.
Task<Result<size_t>> TakeFetchGrant(RequestContext& context, const FetchRequest& request, int64_t deadline_ns) {
  size_t grant = std::clamp<size_t>(static_cast<size_t>(std::max(request.max_bytes, 1)), 1,
                                    std::max<size_t>(context.fetch_budget.budget() / 8, 1));
  while (!context.connection_closed) {
    uint64_t gives = context.fetch_budget.gives();
    if (context.fetch_budget.TryTake(0, grant)) co_return grant;
    int64_t left_ms = (deadline_ns - SystemClock::Instance().MonotonicNanos()) / 1'000'000;
    if (left_ms <= 0) co_return size_t{0};
    if (context.fetch_budget.gives() == gives) co_await context.fetch_budget.WaitForRoom(context.shard.loop(), left_ms);
  }
  co_return ShuttingDown("the connection closed");
}

}  // namespace

Task<HandlerResult> HandleFetch(RequestContext& context, ConstBytes body) {
  Result<FetchRequest> request = DecodeRequestBody<FetchApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  std::string_view client_id = context.header.client_id.value_or("");
  if (context.quotas.any(engine::QuotaDirection::kFetch)) {
    engine::TopicBytes asked;
    for (const FetchRequest::Topic& topic : request->topics) asked.emplace_back(topic.topic, 0);
    // A client that still owes throttle time gets an empty answer at once, as
    // Kafka does: reading for it now would only deepen the debt.
    int32_t owed = context.quotas.Owed(engine::QuotaDirection::kFetch, client_id, asked);
    if (owed > 0) {
      FetchResponse empty;
      empty.throttle_time_ms = owed;
      MuteForThrottle(context, engine::QuotaDirection::kFetch, owed);
      co_return Respond<FetchApi>(context, empty);
    }
  }
  int64_t deadline = SystemClock::Instance().MonotonicNanos() + int64_t{request->max_wait_ms} * 1'000'000;
  size_t min_bytes = static_cast<size_t>(std::max(request->min_bytes, 1));
  while (true) {
    Result<size_t> taken = co_await TakeFetchGrant(context, *request, deadline);
    if (!taken.ok()) co_return taken.status();
    if (*taken == 0) {
      ++context.metrics.fetches_out_of_memory;
      co_return Respond<FetchApi>(context, FetchResponse{});
    }
    size_t grant = *taken;
    Gathered gathered = co_await FetchAll(context, *request, grant);
    int64_t left_ms = (deadline - SystemClock::Instance().MonotonicNanos()) / 1'000'000;
    if (gathered.bytes >= min_bytes || gathered.any_error || left_ms <= 0 || request->topics.empty() ||
        request->topics[0].partitions.empty()) {
      CountAnswer(context.metrics, gathered.response);
      int32_t throttle_ms =
          context.quotas.Record(engine::QuotaDirection::kFetch, client_id, BytesByTopic(gathered.response));
      if (throttle_ms > 0) {
        gathered.response.throttle_time_ms = throttle_ms;
        MuteForThrottle(context, engine::QuotaDirection::kFetch, throttle_ms);
      }
      HandlerResult answer = Respond<FetchApi>(context, gathered.response);
      // The answer holds its size of the grant until the connection sent it (a
      // single batch larger than the grant holds the grant: the overshoot is
      // bounded by max.message.bytes); the rest goes back now.
      size_t held = answer.ok() && answer->has_value() ? std::min(grant, (*answer)->size()) : 0;
      context.fetch_budget.Give(grant - held);
      context.answer_budgeted = held;
      co_return answer;
    }
    context.fetch_budget.Give(grant);
    // Long poll on the first partition asked for, in slices so that data arriving
    // elsewhere is seen within kOtherPartitionsCheckMs.
    const FetchRequest::Topic& first = request->topics[0];
    const FetchRequest::Partition& p = first.partitions[0];
    bool single = request->topics.size() == 1 && first.partitions.size() == 1;
    int32_t wait = static_cast<int32_t>(single ? left_ms : std::min<int64_t>(left_ms, kOtherPartitionsCheckMs));
    // Wait for data beyond what the first partition already has (its high
    // watermark), or the wait would end at once when it holds a little.
    Offset from = p.fetch_offset;
    const FetchResponse::Partition& seen = gathered.response.responses[0].partitions[0];
    if (seen.error_code == 0 && seen.high_watermark > from) from = seen.high_watermark;
    Result<engine::FetchResult> waited = co_await context.broker.Fetch(
        context.shard, first.topic, p.partition.value(), from, 1, 1, wait);
    (void)waited;  // only a wake-up; the next round reads everything again
  }
}

}  // namespace millstream::net::kafka
