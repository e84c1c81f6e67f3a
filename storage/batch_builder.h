// BatchBuilder: encodes records into an uncompressed Kafka RecordBatch v2, the
// same bytes a producer sends. Used where Millstream itself produces (HTTP
// webhooks, benchmarks, tests).
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/strong_id.h"

namespace millstream::storage {

struct RecordHeaderInput {
  std::string_view key;
  std::optional<std::string_view> value;
};

class BatchBuilder {
 public:
  // Adds one record; timestamps may come in any order (maxTimestamp is tracked).
  void Add(std::optional<std::string_view> key, std::optional<std::string_view> value,
           TimestampMs timestamp, const std::vector<RecordHeaderInput>& headers = {});
  int32_t count() const { return count_; }
  // The whole batch with baseOffset 0 and a correct CRC-32C. The builder is empty
  // afterwards. Idempotent producers pass their id, epoch and first sequence.
  std::vector<std::byte> Build(int64_t producer_id = -1, int16_t producer_epoch = -1,
                               int32_t base_sequence = -1);

 private:
  std::vector<std::byte> records_;
  int32_t count_ = 0;
  TimestampMs base_timestamp_;
  TimestampMs max_timestamp_;
};

}  // namespace millstream::storage
