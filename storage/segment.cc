#include "storage/segment.h"

#include <algorithm>

namespace millstream::storage {

Segment::Segment(std::string dir, Offset base) : dir_(std::move(dir)) {
  stats_.base_offset = base;
  stats_.next_offset = base;
  hash_ = XXH3_createState();
  MS_CHECK(hash_ != nullptr);
  XXH3_128bits_reset(hash_);
}

Segment::~Segment() { XXH3_freeState(hash_); }

std::string Segment::PathOf(std::string_view extension) const {
  return io::JoinPath(dir_, SegmentFileName(stats_.base_offset, extension));
}

void Segment::AddBatch(const BatchHeader& h, FilePos pos, uint32_t index_interval) {
  MS_CHECK(pos.value() == stats_.size) << "batch at " << pos << " but segment ends at "
                                       << stats_.size;
  auto relative = static_cast<uint32_t>(h.base_offset - stats_.base_offset);
  // An index entry for the first batch and then one per `index_interval` bytes, as
  // Kafka's index.interval.bytes.
  if (offsets_.empty() || bytes_since_entry_ >= index_interval) {
    offsets_.push_back({relative, static_cast<uint32_t>(pos.value())});
    bytes_since_entry_ = 0;
  }
  bytes_since_entry_ += h.total_size();
  if (h.max_timestamp > stats_.max_timestamp) {
    // The time index stays increasing: an entry only when the maximum grows.
    if (times_.empty() || h.max_timestamp.value() > times_.back().timestamp) {
      times_.push_back({h.max_timestamp.value(), relative});
    }
    stats_.max_timestamp = h.max_timestamp;
  }
  if (stats_.batch_count == 0) stats_.first_timestamp = h.base_timestamp;
  stats_.next_offset = h.last_offset() + 1;
  stats_.size = pos.value() + h.total_size();
  stats_.batch_count += 1;
  stats_.record_count += h.records_count;
}

void Segment::HashWritten(FilePos from, ConstBytes bytes) {
  if (!hash_valid_) return;
  if (from != hashed_end_) {
    hash_valid_ = false;
    return;
  }
  XXH3_128bits_update(hash_, bytes.data(), bytes.size());
  hashed_end_ += bytes.size();
}

std::optional<XXH128_hash_t> Segment::TrackedDigest() const {
  if (!hash_valid_ || hashed_end_.value() != stats_.size) return std::nullopt;
  return XXH3_128bits_digest(hash_);
}

FilePos Segment::PositionAtOrBefore(Offset target) const {
  if (target < stats_.base_offset) return FilePos(0);
  auto relative = static_cast<uint64_t>(target - stats_.base_offset);
  auto it = std::upper_bound(
      offsets_.begin(), offsets_.end(), relative,
      [](uint64_t v, const OffsetIndexEntry& e) { return v < e.relative_offset; });
  if (it == offsets_.begin()) return FilePos(0);
  return FilePos(std::prev(it)->position);
}

FilePos Segment::PositionForTimestamp(TimestampMs ts) const {
  // The last entry with a timestamp below ts: every batch before it is older.
  auto it = std::lower_bound(times_.begin(), times_.end(), ts.value(),
                             [](const TimeIndexEntry& e, int64_t v) { return e.timestamp < v; });
  if (it == times_.begin()) return FilePos(0);
  return PositionAtOrBefore(stats_.base_offset + std::prev(it)->relative_offset);
}

PersistedIndex Segment::ToPersistedIndex() const {
  return {.stats = stats_, .clean_close = false, .offsets = offsets_, .times = times_};
}

void Segment::RestoreIndex(PersistedIndex index) {
  stats_ = index.stats;
  offsets_ = std::move(index.offsets);
  times_ = std::move(index.times);
  // The restored prefix was not hashed here; a seal re-reads the file.
  hash_valid_ = false;
  bytes_since_entry_ = 0;
}

Result<io::File*> Segment::Reader(io::FileSystem& fs) {
  if (!reader_) {
    ASSIGN_OR_RETURN(reader_, fs.Open(PathOf(kLogExtension), {.read_only = true}));
  }
  return reader_.get();
}

}  // namespace millstream::storage
