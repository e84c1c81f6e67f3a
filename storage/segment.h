// Segment: what the partition log knows about one segment file in memory: the
// written prefix's statistics, its sparse offset and time indexes, its seal when
// rolled, and a read handle. The log file format is docs/storage-format.md.
//
// Owned by PartitionLog through std::shared_ptr (SegmentHandle), so that a read in
// progress keeps the file open while retention deletes the segment. One thread.
#pragma once

#include <xxhash.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/strong_id.h"
#include "storage/io/file_system.h"
#include "storage/record_batch.h"
#include "storage/segment_files.h"

namespace millstream::storage {

class Segment {
 public:
  Segment(std::string dir, Offset base);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  Offset base_offset() const { return stats_.base_offset; }
  const SegmentStats& stats() const { return stats_; }
  const std::string& dir() const { return dir_; }
  std::string PathOf(std::string_view extension) const;

  // Records one batch that now lies written at `pos` (stats and sparse indexes).
  // `index_interval` is the number of bytes between offset index entries.
  void AddBatch(const BatchHeader& header, FilePos pos, uint32_t index_interval);
  // Feeds written bytes to the running XXH3-128 of the file (kept only while the
  // bytes arrive in order from position 0; otherwise the digest is computed by
  // reading the file at seal time).
  void HashWritten(FilePos from, ConstBytes bytes);
  // The digest of [0, stats().size) if it was tracked from the start.
  std::optional<XXH128_hash_t> TrackedDigest() const;
  void DisableDigestTracking() { hash_valid_ = false; }

  // The position of the batch holding `target` or of one before it (index lookup,
  // then scan forward). 0 when the index has nothing before it.
  FilePos PositionAtOrBefore(Offset target) const;
  // A position from which scanning finds the first batch with maxTimestamp >= ts.
  FilePos PositionForTimestamp(TimestampMs ts) const;

  PersistedIndex ToPersistedIndex() const;
  void RestoreIndex(PersistedIndex index);

  // The read handle (buffered, not direct), opened lazily.
  Result<io::File*> Reader(io::FileSystem& fs);

  const std::optional<SealManifest>& seal() const { return seal_; }
  void SetSeal(SealManifest seal) { seal_ = std::move(seal); }
  bool sealed() const { return seal_.has_value(); }

  // Wall-clock time the segment received its first batch (segment.ms rolls).
  TimestampMs first_append_time{-1};

 private:
  std::string dir_;
  SegmentStats stats_;
  std::vector<OffsetIndexEntry> offsets_;
  std::vector<TimeIndexEntry> times_;
  uint64_t bytes_since_entry_ = 0;
  std::optional<SealManifest> seal_;
  std::unique_ptr<io::File> reader_;
  XXH3_state_t* hash_ = nullptr;
  bool hash_valid_ = true;
  FilePos hashed_end_;
};

using SegmentHandle = std::shared_ptr<Segment>;

}  // namespace millstream::storage
