// Reading and validating Kafka RecordBatch v2 bytes, the unit of storage. A batch
// is kept exactly as the producer sent it; the log only rewrites baseOffset and
// partitionLeaderEpoch, which the CRC does not cover (docs/storage-format.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_id.h"

namespace millstream::storage {

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

struct BatchHeader {
  Offset base_offset;
  int32_t batch_length = 0;  // bytes after the batchLength field
  int32_t partition_leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  uint16_t attributes = 0;
  int32_t last_offset_delta = 0;
  TimestampMs base_timestamp;
  TimestampMs max_timestamp;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  // The whole batch: header and records.
  size_t total_size() const { return static_cast<size_t>(batch_length) + 12; }
  Offset last_offset() const { return base_offset + last_offset_delta; }
  Compression compression() const { return static_cast<Compression>(attributes & 0x07); }
  bool is_control() const { return (attributes & 0x20) != 0; }
  // The broker set maxTimestamp on append, and it is every record's timestamp.
  bool is_log_append_time() const { return (attributes & 0x08) != 0; }
};

// Decodes the 61-byte header at the start of `bytes` without checking anything
// beyond the length. nullopt when fewer than 61 bytes are given.
std::optional<BatchHeader> PeekBatchHeader(ConstBytes bytes);

// Checks one complete batch, exactly `bytes` long, the way append does: magic 2,
// batchLength equal to the bytes given, CRC-32C, a positive record count that
// matches lastOffsetDelta and, for an uncompressed batch, the records themselves
// (each record's length, and offset deltas 0..n-1). Returns Corruption naming the
// first reason it found ("crc mismatch", "bad magic 1", ...).
Result<BatchHeader> ValidateBatch(ConstBytes bytes);

// Like ValidateBatch but only the framing and CRC, for scans of stored data where
// the records were checked on the way in (recovery, verify).
Result<BatchHeader> CheckBatchFraming(ConstBytes bytes);

// Rewrites baseOffset in place (the CRC does not cover it).
void SetBaseOffset(MutableBytes batch, Offset base);

// For a topic with message.timestamp.type=LogAppendTime: sets the batch's
// timestamp-type attribute and its maxTimestamp to `now`, and recomputes the CRC,
// which covers both. Readers then take `now` as every record's timestamp (as
// RecordReader does). The batch must have passed ValidateBatch first: a new CRC
// would otherwise hide damage.
void StampLogAppendTime(MutableBytes batch, TimestampMs now);

// One decoded record of an uncompressed batch.
struct RecordView {
  Offset offset;
  TimestampMs timestamp;
  std::optional<ConstBytes> key;    // nullopt for a null key
  std::optional<ConstBytes> value;  // nullopt for a null value
  struct Header {
    ConstBytes key;
    std::optional<ConstBytes> value;
  };
  std::vector<Header> headers;
};

// Walks the records of an uncompressed records area (the bytes after the 61-byte
// header, or a decompressed blob). Next() returns nullopt at the end and sets an
// error status when a record is malformed.
class RecordReader {
 public:
  RecordReader(const BatchHeader& header, ConstBytes records_area)
      : header_(header), p_(records_area.data()), end_(p_ + records_area.size()) {}
  std::optional<RecordView> Next();
  const Status& status() const { return status_; }
  int32_t records_read() const { return read_; }

 private:
  std::optional<RecordView> Fail(std::string why);
  BatchHeader header_;
  const std::byte* p_;
  const std::byte* end_;
  int32_t read_ = 0;
  Status status_;
};

}  // namespace millstream::storage
