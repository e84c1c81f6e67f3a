// Recovery of a partition log at open (docs/storage-format.md, "Recovery").
// Sealed segments are trusted by their seal and indexes; the active segment is
// trusted up to its last persisted index point and scanned after it. A bad batch
// in that tail is a torn write when no valid batch follows it within the reach of
// one flush: it is cut off. Otherwise it is corruption: reported with file and
// byte position, the segment is sealed before it, and a new segment continues.
#include <algorithm>
#include <cstring>

#include "storage/partition_log.h"
#include "storage/record_batch_format.h"

namespace millstream::storage {

namespace {

std::string Where(const SegmentHandle& segment, uint64_t pos) {
  return segment->PathOf(kLogExtension) + " at byte " + std::to_string(pos);
}

// Reads a file in large chunks and hands out byte ranges, so a scan costs one
// read per megabyte rather than two per batch.
class ChunkReader {
 public:
  ChunkReader(io::File& file, uint64_t file_size) : file_(file), file_size_(file_size) {}
  // The bytes [pos, pos + n), or fewer at the end of the file.
  Task<Result<ConstBytes>> Get(uint64_t pos, size_t n) {
    if (pos < start_ || pos + n > start_ + buffer_.size()) {
      size_t want = std::max<size_t>(n, kChunk);
      want = std::min<uint64_t>(want, file_size_ > pos ? file_size_ - pos : 0);
      buffer_.resize(want);
      Status s = co_await io::ReadFully(file_, FilePos(pos), buffer_);
      if (!s.ok()) co_return s;
      start_ = pos;
    }
    size_t at = pos - start_;
    co_return ConstBytes(buffer_.data() + at, std::min(n, buffer_.size() - at));
  }

 private:
  static constexpr size_t kChunk = 1 << 20;
  io::File& file_;
  uint64_t file_size_;
  uint64_t start_ = 0;
  std::vector<std::byte> buffer_;
};

bool AllZero(ConstBytes b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

}  // namespace

Task<Status> PartitionLog::Recover(RecoveryReport& report) {
  CO_RETURN_IF_ERROR(fs_.CreateDirs(dir_));
  CO_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.List(dir_));
  std::vector<Offset> bases;
  for (const std::string& name : names) {
    if (name.ends_with(kTempSuffix)) {
      // A half-written index or seal from before the crash; the real one is intact.
      CO_RETURN_IF_ERROR(fs_.Remove(io::JoinPath(dir_, name)));
    } else if (std::optional<Offset> base = ParseSegmentFileName(name, kLogExtension)) {
      bases.push_back(*base);
    }
  }
  std::sort(bases.begin(), bases.end());
  for (const std::string& name : names) {
    for (std::string_view ext : {kIndexExtension, kTimeIndexExtension, kSealExtension}) {
      std::optional<Offset> base = ParseSegmentFileName(name, ext);
      if (base && !std::binary_search(bases.begin(), bases.end(), *base)) {
        // Left behind by retention that crashed after removing the log.
        CO_RETURN_IF_ERROR(fs_.Remove(io::JoinPath(dir_, name)));
      }
    }
  }
  if (bases.empty()) {
    CO_RETURN_IF_ERROR(co_await CreateActive(Offset(0)));
    next_offset_ = written_next_ = durable_next_ = Offset(0);
    co_return Status::Ok();
  }

  for (Offset base : bases) {
    auto segment = std::make_shared<Segment>(dir_, base);
    if (!segments_.empty()) {
      Offset expected = segments_.rbegin()->second->stats().next_offset;
      if (base != expected) {
        report.problems.push_back("offset gap: " + segment->PathOf(kLogExtension) +
                                  " starts at " + std::to_string(base.value()) + ", expected " +
                                  std::to_string(expected.value()));
      }
    }
    segments_[base] = segment;
    ++report.segments;
    bool is_last = base == bases.back();
    CO_RETURN_IF_ERROR(co_await LoadSealedSegment(segment, report));
    if (segment->sealed()) continue;
    if (!is_last) {
      // A rolled segment whose seal never made it to disk: all of it was durable
      // before the roll, so a bad batch anywhere in it is corruption.
      CO_ASSIGN_OR_RETURN(bool clean, co_await ScanSegment(segment, FilePos(segment->stats().size), false, report));
      (void)clean;
      CO_RETURN_IF_ERROR(co_await Seal(segment));
      continue;
    }
    CO_ASSIGN_OR_RETURN(bool clean, co_await ScanSegment(segment, FilePos(segment->stats().size), true, report));
    if (clean) {
      CO_RETURN_IF_ERROR(co_await OpenActive(segment));
    } else {
      // Interior corruption in the active segment: keep what is before it readable
      // under a seal, and continue in a new segment.
      CO_RETURN_IF_ERROR(co_await Seal(segment));
    }
  }
  if (!active_) CO_RETURN_IF_ERROR(co_await CreateActive(segments_.rbegin()->second->stats().next_offset));
  next_offset_ = written_next_ = durable_next_ = active_->stats().next_offset;
  co_return Status::Ok();
}

// Restores a segment's seal and indexes when they are present and valid. Leaves
// the segment unsealed with the indexed prefix restored (or nothing) otherwise.
Task<Status> PartitionLog::LoadSealedSegment(const SegmentHandle& segment,
                                             RecoveryReport& report) {
  std::optional<SealManifest> seal;
  std::optional<PersistedIndex> index;
  auto read_file = [this](const std::string& path) -> Task<Result<std::vector<std::byte>>> {
    Result<std::unique_ptr<io::File>> file = fs_.Open(path, {.read_only = true});
    if (!file.ok()) co_return file.status();
    Result<uint64_t> size = (*file)->Size();
    if (!size.ok()) co_return size.status();
    std::vector<std::byte> bytes(*size);
    Status s = co_await io::ReadFully(**file, FilePos(0), bytes);
    if (!s.ok()) co_return s;
    co_return std::move(bytes);
  };
  Result<std::vector<std::byte>> seal_bytes = co_await read_file(segment->PathOf(kSealExtension));
  if (seal_bytes.ok()) {
    Result<SealManifest> decoded = DecodeSeal(*seal_bytes);
    if (decoded.ok()) {
      seal = *decoded;
    } else {
      report.problems.push_back(decoded.status().message() + " in " + segment->PathOf(kSealExtension));
    }
  }
  Result<std::vector<std::byte>> offset_bytes = co_await read_file(segment->PathOf(kIndexExtension));
  Result<std::vector<std::byte>> time_bytes = co_await read_file(segment->PathOf(kTimeIndexExtension));
  if (offset_bytes.ok() && time_bytes.ok()) {
    Result<PersistedIndex> decoded = DecodeIndexFiles(*offset_bytes, *time_bytes);
    if (decoded.ok() && decoded->stats.base_offset == segment->base_offset()) index = std::move(*decoded);
  }
  if (seal) {
    if (!index || index->stats.size != seal->stats.size) {
      // Indexes are disposable: rebuild from the sealed log bytes.
      ++report.indexes_rebuilt;
      CO_ASSIGN_OR_RETURN(bool clean, co_await ScanSegment(segment, FilePos(0), false, report));
      (void)clean;
      CO_RETURN_IF_ERROR(co_await PersistIndex(segment));
    } else {
      segment->RestoreIndex(std::move(*index));
    }
    segment->SetSeal(*seal);
    co_return Status::Ok();
  }
  if (index) {
    segment->RestoreIndex(std::move(*index));
  } else {
    ++report.indexes_rebuilt;
  }
  co_return Status::Ok();
}

// Scans batches from `from` to the end of the data, adding them to the segment.
// Returns true when the data ended cleanly (zeros, end of file, or a torn tail that
// was cut off) and false when corruption was found and reported.
Task<Result<bool>> PartitionLog::ScanSegment(const SegmentHandle& segment, FilePos from,
                                             bool is_last, RecoveryReport& report) {
  CO_ASSIGN_OR_RETURN(io::File* file, segment->Reader(fs_));
  CO_ASSIGN_OR_RETURN(uint64_t file_size, file->Size());
  ChunkReader reader(*file, file_size);
  uint64_t pos = from.value();
  std::string bad;
  while (pos + batch_format::kHeaderSize <= file_size) {
    CO_ASSIGN_OR_RETURN(ConstBytes head, co_await reader.Get(pos, batch_format::kHeaderSize));
    if (AllZero(head)) break;  // the preallocated, never written part
    std::optional<BatchHeader> h = PeekBatchHeader(head);
    if (h->magic != batch_format::kMagicV2 || h->batch_length < 49 ||
        pos + h->total_size() > file_size) {
      bad = "bad batch header";
      break;
    }
    CO_ASSIGN_OR_RETURN(ConstBytes batch, co_await reader.Get(pos, h->total_size()));
    Result<BatchHeader> checked = CheckBatchFraming(batch);
    if (!checked.ok()) {
      bad = checked.status().message();
      break;
    }
    if (h->base_offset != segment->stats().next_offset) {
      bad = "batch offset " + std::to_string(h->base_offset.value()) + ", expected " +
            std::to_string(segment->stats().next_offset.value());
      break;
    }
    segment->AddBatch(*h, FilePos(pos), config_.index_interval_bytes);
    segment->HashWritten(FilePos(pos), batch);
    pos += h->total_size();
  }
  report.bytes_scanned += pos - from.value();
  if (bad.empty()) {
    // Whatever follows the end must be zeros; a partial header is a torn write.
    if (pos < file_size && is_last) {
      CO_ASSIGN_OR_RETURN(ConstBytes rest, co_await reader.Get(pos, std::min<uint64_t>(file_size - pos, batch_format::kHeaderSize)));
      if (!AllZero(rest)) {
        report.torn_bytes_truncated += rest.size();
        CO_RETURN_IF_ERROR(co_await ZeroTail(segment, FilePos(pos)));
      }
    }
    co_return true;
  }
  if (is_last) {
    // Torn tail or corruption? A crash can only have damaged the last flush, which
    // is at most two write buffers long; a valid batch beyond the damage means the
    // damage is not a torn write.
    uint64_t window_end = std::min<uint64_t>(file_size, pos + 2 * config_.write_buffer_bytes + kIoAlignment);
    bool valid_after = false;
    constexpr size_t kProbeChunk = 1 << 20;
    for (uint64_t start = pos + 1; start < window_end && !valid_after; start += kProbeChunk) {
      // Candidates first (a magic byte where it belongs); checking one re-reads and
      // would invalidate `chunk`.
      size_t n = std::min<uint64_t>(kProbeChunk + batch_format::kHeaderSize, window_end - start);
      CO_ASSIGN_OR_RETURN(ConstBytes chunk, co_await reader.Get(start, n));
      std::vector<std::pair<uint64_t, size_t>> candidates;
      for (size_t i = 0; i + batch_format::kHeaderSize <= chunk.size() && i < kProbeChunk; ++i) {
        if (static_cast<int8_t>(chunk[i + batch_format::kMagic]) != batch_format::kMagicV2) continue;
        std::optional<BatchHeader> h = PeekBatchHeader(chunk.subspan(i));
        if (h->batch_length < 49 || start + i + h->total_size() > file_size) continue;
        candidates.emplace_back(start + i, h->total_size());
      }
      for (auto [probe, size] : candidates) {
        CO_ASSIGN_OR_RETURN(ConstBytes batch, co_await reader.Get(probe, size));
        if (CheckBatchFraming(batch).ok()) {
          valid_after = true;
          break;
        }
      }
    }
    if (!valid_after) {
      report.torn_bytes_truncated += window_end - pos;
      CO_RETURN_IF_ERROR(co_await ZeroTail(segment, FilePos(pos)));
      co_return true;
    }
  }
  report.problems.push_back("corruption in " + Where(segment, pos) + ": " + bad);
  co_return false;
}

// Cuts the log off at `from`: the file is truncated there and preallocated again,
// so the bytes after the logical end read as zeros, as recovery expects.
Task<Status> PartitionLog::ZeroTail(const SegmentHandle& segment, FilePos from) {
  Result<std::unique_ptr<io::File>> file = fs_.Open(segment->PathOf(kLogExtension), {});
  if (!file.ok()) co_return file.status();
  CO_RETURN_IF_ERROR((*file)->Truncate(from.value()));
  CO_RETURN_IF_ERROR((*file)->Allocate(0, std::max<uint64_t>(from.value(), config_.segment_bytes)));
  co_return co_await (*file)->DataSync();
}

Task<Status> PartitionLog::OpenActive(const SegmentHandle& segment) {
  Result<std::unique_ptr<io::File>> file =
      fs_.Open(segment->PathOf(kLogExtension), {.direct = config_.direct_io});
  if (!file.ok()) co_return file.status();
  uint64_t end = segment->stats().size;
  CO_RETURN_IF_ERROR((*file)->Allocate(0, std::max<uint64_t>(end, config_.segment_bytes)));
  // The partial last page is rewritten by the first flush, so the appender needs it.
  FilePos page(AlignDown(end, kIoAlignment));
  AlignedBuffer tail(kIoAlignment);
  if (end > page.value()) {
    CO_RETURN_IF_ERROR(co_await io::ReadFully(**file, page, tail.span()));
  }
  active_ = segment;
  active_file_ = std::move(*file);
  appender_ = std::make_unique<SegmentAppender>(
      loop_, *active_file_, FilePos(end), ConstBytes(tail.data(), end - page.value()),
      config_.write_buffer_bytes, static_cast<SegmentAppender::Listener&>(*this));
  co_return Status::Ok();
}

}  // namespace millstream::storage
