// Producing plain records (key, value, headers) rather than Kafka batches: how
// webhook produce appends. The records are placed on partitions (an explicit
// partition, else XXH3_64 of the key, else one partition per call chosen by the
// caller), packed into one RecordBatch v2 per partition, checked against the
// topic's max.message.bytes, and only then appended; every batch is made
// durable before the call returns. docs/http-api.md, "Webhook produce".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/task.h"
#include "engine/broker.h"

namespace millstream::engine {

struct PlainRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  std::optional<int64_t> partition;     // explicit; must exist
  std::optional<int64_t> timestamp_ms;  // CreateTime; default: now
};

struct PlainProduceResult {
  // Ok, or why it stopped: InvalidArgument (a partition the topic does not have)
  // and OutOfRange (a partition's batch over max.message.bytes) before anything
  // was appended; a storage error (NoSpace, IoError, ShuttingDown) after
  // `durable` partitions were appended and made durable.
  Status status;
  // Per record, in the order given: (partition, offset). Filled when status is Ok.
  std::vector<std::pair<int32_t, int64_t>> offsets;
  // (partition, records) appended and durable, also when status is an error.
  std::vector<std::pair<int32_t, size_t>> durable;
};

// Appends `records` to `topic` as described above, from `current`'s shard.
// Records without a key and without a partition all go to partition
// `keyless_partition % partitions`.
Task<PlainProduceResult> ProducePlainRecords(Broker& broker, Shard& current, Broker::TopicInfo topic,
                                             std::vector<PlainRecord> records, uint64_t keyless_partition);

}  // namespace millstream::engine
