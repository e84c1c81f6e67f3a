// Names and on-disk codecs of the files beside each segment: the sparse offset
// index, the time index and the seal manifest. Every file ends with an XXH3-64 of
// the bytes before it, so a torn or stale file is detected and rebuilt from the
// log. docs/storage-format.md describes each byte; keep the two in step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_id.h"

namespace millstream::storage {

// "<20-digit base offset>.log" and friends, as Kafka names them.
std::string SegmentFileName(Offset base, std::string_view extension);
// Parses "00000000000000001234.log" → 1234 for the given extension; nullopt otherwise.
std::optional<Offset> ParseSegmentFileName(std::string_view name, std::string_view extension);

inline constexpr std::string_view kLogExtension = ".log";
inline constexpr std::string_view kIndexExtension = ".index";
inline constexpr std::string_view kTimeIndexExtension = ".timeindex";
inline constexpr std::string_view kSealExtension = ".seal";
inline constexpr std::string_view kTempSuffix = ".tmp";

// What is known about the log bytes [0, size) of one segment.
struct SegmentStats {
  Offset base_offset;
  Offset next_offset;  // offset after the last batch
  uint64_t size = 0;   // logical bytes: the end of the last batch
  int64_t batch_count = 0;
  int64_t record_count = 0;
  TimestampMs first_timestamp{-1};  // baseTimestamp of the first batch
  TimestampMs max_timestamp{-1};    // largest maxTimestamp of any batch
  bool empty() const { return batch_count == 0; }
  Offset last_offset() const { return next_offset - 1; }
};

struct OffsetIndexEntry {
  uint32_t relative_offset;  // offset - base_offset of the batch's first record
  uint32_t position;         // byte position of the batch in the .log
};
struct TimeIndexEntry {
  int64_t timestamp;         // the batch's maxTimestamp, increasing along the index
  uint32_t relative_offset;  // first offset of that batch
};

// The persisted form of a segment's two indexes. `stats` describes the covered
// prefix [0, stats.size) of the log; recovery trusts that prefix and scans after it.
struct PersistedIndex {
  SegmentStats stats;
  // Written by a clean Close: the log ends exactly at stats.size, so the next open
  // need not look beyond it. Cleared on disk before the first append after opening.
  bool clean_close = false;
  std::vector<OffsetIndexEntry> offsets;
  std::vector<TimeIndexEntry> times;
};

std::vector<std::byte> EncodeOffsetIndex(const PersistedIndex& index);
std::vector<std::byte> EncodeTimeIndex(const PersistedIndex& index);
// Decodes both files; Corruption when either is torn, has a bad checksum, or they
// disagree about the covered prefix.
Result<PersistedIndex> DecodeIndexFiles(ConstBytes offset_file, ConstBytes time_file);

// The seal manifest of a rolled segment.
struct SealManifest {
  SegmentStats stats;
  uint64_t digest_high = 0;  // XXH3-128 of the .log bytes [0, stats.size)
  uint64_t digest_low = 0;
};

std::vector<std::byte> EncodeSeal(const SealManifest& seal);
Result<SealManifest> DecodeSeal(ConstBytes bytes);

}  // namespace millstream::storage
