// Byte layout of a Kafka RecordBatch v2 header (magic 2). The prose spec is
// docs/storage-format.md, section "Record batches"; these constants follow it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace millstream::storage::batch_format {

inline constexpr size_t kBaseOffset = 0;            // int64, rewritten by the broker
inline constexpr size_t kBatchLength = 8;           // int32, bytes after this field
inline constexpr size_t kPartitionLeaderEpoch = 12;  // int32, rewritten by the broker
inline constexpr size_t kMagic = 16;                 // int8, must be 2
inline constexpr size_t kCrc = 17;                   // uint32 CRC-32C of [kAttributes, end)
inline constexpr size_t kAttributes = 21;            // int16
inline constexpr size_t kLastOffsetDelta = 23;       // int32
inline constexpr size_t kBaseTimestamp = 27;         // int64
inline constexpr size_t kMaxTimestamp = 35;          // int64
inline constexpr size_t kProducerId = 43;            // int64
inline constexpr size_t kProducerEpoch = 51;         // int16
inline constexpr size_t kBaseSequence = 53;          // int32
inline constexpr size_t kRecordsCount = 57;          // int32
inline constexpr size_t kRecords = 61;               // first record (or compressed blob)

inline constexpr size_t kHeaderSize = 61;
// baseOffset + batchLength: the part of a batch that batchLength does not count.
inline constexpr size_t kLogOverhead = 12;
inline constexpr int8_t kMagicV2 = 2;

// attributes bits
inline constexpr uint16_t kCompressionMask = 0x07;
inline constexpr uint16_t kTimestampTypeBit = 0x08;
inline constexpr uint16_t kTransactionalBit = 0x10;
inline constexpr uint16_t kControlBit = 0x20;

}  // namespace millstream::storage::batch_format
