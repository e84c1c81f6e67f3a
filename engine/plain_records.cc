#include "engine/plain_records.h"

#include <xxhash.h>

#include <map>

#include "base/clock.h"
#include "storage/batch_builder.h"

namespace millstream::engine {

namespace {

// One partition's share of the call: its batch and where each record sits in
// the call (the offsets are answered in that order).
struct PartitionBatch {
  storage::BatchBuilder builder;
  std::vector<size_t> record_indexes;
  std::vector<std::byte> bytes;
  storage::AppendInfo appended;
};

Result<std::map<int32_t, PartitionBatch>> Plan(const Broker::TopicInfo& topic,
                                               const std::vector<PlainRecord>& records,
                                               uint64_t keyless_partition) {
  int32_t partitions = topic.config.partitions;
  auto keyless = static_cast<int32_t>(keyless_partition % static_cast<uint64_t>(partitions));
  int64_t now = SystemClock::Instance().Now().value();
  std::map<int32_t, PartitionBatch> batches;
  for (size_t i = 0; i < records.size(); ++i) {
    const PlainRecord& r = records[i];
    int32_t p = keyless;
    if (r.partition) {
      if (*r.partition < 0 || *r.partition >= partitions) {
        return InvalidArgument("records[" + std::to_string(i) + "].partition " + std::to_string(*r.partition) +
                               " is not a partition of " + topic.name + " (0 to " +
                               std::to_string(partitions - 1) + ")");
      }
      p = static_cast<int32_t>(*r.partition);
    } else if (r.key) {
      p = static_cast<int32_t>(XXH3_64bits(r.key->data(), r.key->size()) % static_cast<uint64_t>(partitions));
    }
    std::vector<storage::RecordHeaderInput> headers;  // views of r.headers, copied by Add
    for (const auto& [name, value] : r.headers) {
      headers.push_back({name, value ? std::optional<std::string_view>(*value) : std::nullopt});
    }
    PartitionBatch& batch = batches[p];
    batch.builder.Add(r.key, r.value, TimestampMs(r.timestamp_ms.value_or(now)), headers);
    batch.record_indexes.push_back(i);
  }
  for (auto& [p, batch] : batches) {
    batch.bytes = batch.builder.Build();
    if (batch.bytes.size() > static_cast<size_t>(topic.config.max_message_bytes)) {
      return OutOfRange("the records for partition " + std::to_string(p) + " make a batch of " +
                        std::to_string(batch.bytes.size()) + " bytes, over max.message.bytes (" +
                        std::to_string(topic.config.max_message_bytes) + ")");
    }
  }
  return batches;
}

}  // namespace

Task<PlainProduceResult> ProducePlainRecords(Broker& broker, Shard& current, Broker::TopicInfo topic,
                                             std::vector<PlainRecord> records, uint64_t keyless_partition) {
  PlainProduceResult result;
  Result<std::map<int32_t, PartitionBatch>> planned = Plan(topic, records, keyless_partition);
  if (!planned.ok()) {
    result.status = planned.status();
    co_return result;
  }
  std::map<int32_t, PartitionBatch>& batches = *planned;
  // All appends first, then the waits: the partitions' fdatasyncs overlap.
  std::vector<int32_t> appended;
  for (auto& [p, batch] : batches) {
    Result<ProduceResult> one = co_await broker.Append(current, topic.name, p, batch.bytes);
    if (!one.ok()) {
      result.status = one.status();
      break;
    }
    batch.appended = one->info;
    appended.push_back(p);
  }
  for (int32_t p : appended) {
    PartitionBatch& batch = batches[p];
    Status durable = co_await broker.AwaitAcks(current, topic.name, p, batch.appended, Acks::kDurable);
    if (durable.ok()) {
      result.durable.emplace_back(p, batch.record_indexes.size());
    } else if (result.status.ok()) {
      result.status = durable;
    }
  }
  if (!result.status.ok()) co_return result;
  result.offsets.resize(records.size());
  for (const auto& [p, batch] : batches) {
    for (size_t k = 0; k < batch.record_indexes.size(); ++k) {
      result.offsets[batch.record_indexes[k]] = {p, batch.appended.base_offset.value() + static_cast<int64_t>(k)};
    }
  }
  co_return result;
}

}  // namespace millstream::engine
