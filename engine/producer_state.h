// ProducerStateTable: idempotent-producer bookkeeping of one partition, as the
// Java broker keeps it (MINIMUM.md section 5): per producer id the epoch, and the
// first/last sequence and offsets of its last five batches. A retried batch that
// matches one of them is a duplicate and is answered with its original offsets; a
// gap is OUT_OF_ORDER_SEQUENCE; an older epoch is INVALID_PRODUCER_EPOCH.
//
// Owned by the partition, used on its shard only. Persisted as a snapshot at
// close and rebuilt at open from the snapshot plus the batches after it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_id.h"
#include "storage/record_batch.h"

namespace millstream::engine {

inline constexpr int kProducerBatchesKept = 5;

struct ProducerBatch {
  int32_t first_sequence = 0;
  int32_t last_sequence = 0;
  Offset first_offset;
  Offset last_offset;
};

enum class SequenceCheck {
  kAppend,         // new and in order: append it
  kDuplicate,      // a retry of a batch already in the log: answer its offsets
  kOutOfOrder,     // OUT_OF_ORDER_SEQUENCE_NUMBER
  kFencedEpoch,    // INVALID_PRODUCER_EPOCH
};

class ProducerStateTable {
 public:
  struct Verdict {
    SequenceCheck check = SequenceCheck::kAppend;
    ProducerBatch duplicate_of;  // for kDuplicate
  };
  // What to do with `batch` (a header with producer id, epoch and base sequence).
  // Batches without a producer id (-1) are always kAppend.
  Verdict Check(const storage::BatchHeader& batch) const;
  // Records an appended batch (with its assigned offsets).
  void Record(const storage::BatchHeader& batch);

  // The snapshot: the offset after the last batch it covers, then the producers.
  std::vector<std::byte> Encode(Offset covered_until) const;
  // Restores a snapshot; returns the offset it covers until. Corruption when torn.
  Result<Offset> Decode(ConstBytes bytes);

  size_t producers() const { return producers_.size(); }

 private:
  struct Producer {
    int16_t epoch = 0;
    std::deque<ProducerBatch> batches;  // oldest first, at most kProducerBatchesKept
  };
  std::map<int64_t, Producer> producers_;
};

}  // namespace millstream::engine
