// Recovery of a partition log at open (docs/storage-format.md, "Recovery").
// Sealed segments are trusted by their seal and indexes; the active segment is
// trusted up to its last persisted index point and scanned after it. A bad batch
// (or zeros where a batch header should be) in that tail is a torn write when no
// valid batch follows it within the reach of a flush: it is cut off. Otherwise it
// is corruption: reported with file and byte position, the segment is sealed
// before it, and a new segment continues after the highest offset found beyond
// the damage, so no offset is ever handed out twice.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "storage/chunk_reader.h"
#include "storage/data_dir.h"
#include "storage/partition_log.h"
#include "storage/record_batch_format.h"

namespace millstream::storage {

namespace {

std::string Where(const SegmentHandle& segment, uint64_t pos) {
  return segment->PathOf(kLogExtension) + " at byte " + std::to_string(pos);
}

struct TailProbe {
  int64_t valid_batch_at = -1;  // position of a valid batch after the end, or -1
  uint64_t non_zero_end = 0;     // one past the last non-zero byte seen, or 0
};

// Looks at [from, end) of the file for a valid batch starting anywhere after
// `from`, and for any non-zero byte.
Task<Result<TailProbe>> ProbeTail(ChunkReader& reader, uint64_t from, uint64_t end) {
  TailProbe probe;
  constexpr size_t kProbeChunk = 1 << 20;
  for (uint64_t start = from; start < end; start += kProbeChunk) {
    size_t n = std::min<uint64_t>(kProbeChunk + batch_format::kHeaderSize, end - start);
    CO_ASSIGN_OR_RETURN(ConstBytes chunk, co_await reader.Get(start, n));
    ConstBytes own = chunk.first(std::min(chunk.size(), kProbeChunk));
    for (size_t i = own.size(); i > 0; --i) {
      if (own[i - 1] != std::byte{0}) {
        probe.non_zero_end = start + i;
        break;
      }
    }
    // Candidates first (a magic byte where it belongs): checking one re-reads and
    // would invalidate `chunk`.
    std::vector<std::pair<uint64_t, size_t>> candidates;
    for (size_t i = start == from ? 1 : 0; i + batch_format::kHeaderSize <= chunk.size() && i < kProbeChunk; ++i) {
      if (static_cast<int8_t>(chunk[i + batch_format::kMagic]) != batch_format::kMagicV2) continue;
      std::optional<BatchHeader> h = PeekBatchHeader(chunk.subspan(i));
      if (h->batch_length < 49 || start + i + h->total_size() > reader.file_size()) continue;
      candidates.emplace_back(start + i, h->total_size());
    }
    for (auto [pos, size] : candidates) {
      CO_ASSIGN_OR_RETURN(ConstBytes batch, co_await reader.Get(pos, size));
      if (CheckBatchFraming(batch).ok()) {
        probe.valid_batch_at = static_cast<int64_t>(pos);
        co_return probe;
      }
    }
  }
  co_return probe;
}

// The offset after the last of the valid batches that follow each other from
// `at`, or `floor` if that is higher.
Task<Result<Offset>> OffsetAfterValidBatches(ChunkReader& reader, uint64_t at, Offset floor) {
  Offset next = floor;
  while (at + batch_format::kHeaderSize <= reader.file_size()) {
    CO_ASSIGN_OR_RETURN(ConstBytes head, co_await reader.Get(at, batch_format::kHeaderSize));
    std::optional<BatchHeader> h = PeekBatchHeader(head);
    if (h->magic != batch_format::kMagicV2 || h->batch_length < 49 ||
        at + h->total_size() > reader.file_size()) {
      break;
    }
    CO_ASSIGN_OR_RETURN(ConstBytes batch, co_await reader.Get(at, h->total_size()));
    if (!CheckBatchFraming(batch).ok()) break;
    next = std::max(next, h->last_offset() + 1);
    at += h->total_size();
  }
  co_return next;
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

  Offset resume(0);  // where the active segment starts when a new one is needed
  for (Offset base : bases) {
    auto segment = std::make_shared<Segment>(dir_, base);
    if (!segments_.empty()) {
      Offset expected = segments_.rbegin()->second->stats().next_offset;
      if (base < expected) {
        report.problems.push_back("offset overlap: " + segment->PathOf(kLogExtension) +
                                  " starts at " + std::to_string(base.value()) + ", before " +
                                  std::to_string(expected.value()));
      }
    }
    segments_[base] = segment;
    ++report.segments;
    bool is_last = base == bases.back();
    CO_ASSIGN_OR_RETURN(bool clean_close, co_await LoadSealedSegment(segment, report));
    if (segment->sealed()) {
      resume = segment->stats().next_offset;
      // A segment sealed before damage keeps the damaged bytes after its sealed
      // end; if it is the last one, the crash came before the next segment
      // existed, and the offsets beyond the damage must still not be reused.
      if (is_last) {
        CO_ASSIGN_OR_RETURN(resume, co_await OffsetBeyondSealedEnd(segment));
      }
      continue;
    }
    if (!is_last) {
      // A rolled segment whose seal never made it to disk: all of it was durable
      // before the roll, so a bad batch anywhere in it is corruption. The roll may
      // not have cut its preallocated space yet.
      CO_ASSIGN_OR_RETURN(ScanEnd end, co_await ScanSegment(segment, FilePos(segment->stats().size), false, false, report));
      if (end.clean) CO_RETURN_IF_ERROR(co_await TruncateToSize(segment));
      CO_RETURN_IF_ERROR(co_await Seal(segment));
      resume = segment->stats().next_offset;
      continue;
    }
    CO_ASSIGN_OR_RETURN(ScanEnd end, co_await ScanSegment(segment, FilePos(segment->stats().size), true, clean_close, report));
    resume = end.resume;
    if (end.clean) {
      CO_RETURN_IF_ERROR(co_await OpenActive(segment));
      clean_flag_on_disk_ = clean_close;
    } else {
      // Corruption in the active segment: keep what is before it readable under a
      // seal (the damaged bytes stay after the sealed end), and continue in a new
      // segment after every offset that was ever handed out.
      CO_RETURN_IF_ERROR(co_await Seal(segment));
    }
  }
  if (!active_) CO_RETURN_IF_ERROR(co_await CreateActive(resume));
  next_offset_ = written_next_ = durable_next_ = active_->stats().next_offset;
  co_return co_await LoadLogStart();
}

// The start DeleteRecords set, if any ("log_start_offset": the offset in decimal).
Task<Status> PartitionLog::LoadLogStart() {
  CO_ASSIGN_OR_RETURN(Offset deleted_before, co_await ReadDeletedBefore(fs_, dir_));
  deleted_before_ = std::min(deleted_before, written_next_);
  co_return Status::Ok();
}

// For a sealed segment whose file is longer than its sealed end: the offset after
// the valid batches found beyond the damage that recovery sealed it before.
Task<Result<Offset>> PartitionLog::OffsetBeyondSealedEnd(const SegmentHandle& segment) {
  Offset next = segment->stats().next_offset;
  CO_ASSIGN_OR_RETURN(io::File* file, segment->Reader(fs_));
  CO_ASSIGN_OR_RETURN(uint64_t file_size, file->Size());
  uint64_t end = segment->stats().size;
  if (file_size <= end) co_return next;
  ChunkReader reader(*file, file_size);
  uint64_t window_end = std::min<uint64_t>(file_size, end + 2 * config_.write_buffer_bytes + kIoAlignment);
  CO_ASSIGN_OR_RETURN(TailProbe probe, co_await ProbeTail(reader, end, window_end));
  if (probe.valid_batch_at < 0) co_return next;
  co_return co_await OffsetAfterValidBatches(reader, probe.valid_batch_at, next);
}

// Cuts a segment's file to its logical size (its preallocated space goes) and makes
// that durable, as a roll does before sealing.
Task<Status> PartitionLog::TruncateToSize(const SegmentHandle& segment) {
  Result<std::unique_ptr<io::File>> file = fs_.Open(segment->PathOf(kLogExtension), {});
  if (!file.ok()) co_return file.status();
  CO_RETURN_IF_ERROR((*file)->Truncate(segment->stats().size));
  co_return co_await (*file)->DataSync();
}

// Restores a segment's seal and indexes when they are present and valid. Leaves
// the segment unsealed with the indexed prefix restored (or nothing) otherwise.
// Returns whether the restored index was written by a clean close.
Task<Result<bool>> PartitionLog::LoadSealedSegment(const SegmentHandle& segment,
                                                   RecoveryReport& report) {
  std::optional<SealManifest> seal;
  std::optional<PersistedIndex> index;
  Result<std::vector<std::byte>> seal_bytes = co_await io::ReadWholeFile(fs_, segment->PathOf(kSealExtension));
  if (seal_bytes.ok()) {
    Result<SealManifest> decoded = DecodeSeal(*seal_bytes);
    if (decoded.ok()) {
      seal = *decoded;
    } else {
      report.problems.push_back(decoded.status().message() + " in " + segment->PathOf(kSealExtension));
    }
  }
  Result<std::vector<std::byte>> offset_bytes = co_await io::ReadWholeFile(fs_, segment->PathOf(kIndexExtension));
  Result<std::vector<std::byte>> time_bytes = co_await io::ReadWholeFile(fs_, segment->PathOf(kTimeIndexExtension));
  if (offset_bytes.ok() && time_bytes.ok()) {
    Result<PersistedIndex> decoded = DecodeIndexFiles(*offset_bytes, *time_bytes);
    if (decoded.ok() && decoded->stats.base_offset == segment->base_offset()) index = std::move(*decoded);
  }
  if (seal) {
    if (!index || index->stats.size != seal->stats.size) {
      // Indexes are disposable: rebuild from the sealed log bytes.
      ++report.indexes_rebuilt;
      CO_ASSIGN_OR_RETURN(ScanEnd end, co_await ScanSegment(segment, FilePos(0), false, false, report));
      if (end.clean && segment->stats().size != seal->stats.size) {
        report.problems.push_back("corruption in " + Where(segment, segment->stats().size) +
                                  ": the log ends here but its seal says " +
                                  std::to_string(seal->stats.size) + " bytes");
      }
      CO_RETURN_IF_ERROR(co_await PersistIndex(segment));
    } else {
      segment->RestoreIndex(std::move(*index));
    }
    segment->SetSeal(*seal);
    co_return false;
  }
  if (!index) {
    ++report.indexes_rebuilt;
    co_return false;
  }
  bool clean_close = index->clean_close;
  segment->RestoreIndex(std::move(*index));
  co_return clean_close;
}

// Scans batches from `from` to the end of the data, adding them to the segment.
// `trust_zeros`: the log is known to end at the first zeros (a clean close), so the
// window after them need not be probed.
Task<Result<PartitionLog::ScanEnd>> PartitionLog::ScanSegment(const SegmentHandle& segment,
                                                              FilePos from, bool is_last,
                                                              bool trust_zeros,
                                                              RecoveryReport& report) {
  CO_ASSIGN_OR_RETURN(io::File* file, segment->Reader(fs_));
  CO_ASSIGN_OR_RETURN(uint64_t file_size, file->Size());
  ChunkReader reader(*file, file_size);
  uint64_t pos = from.value();
  std::string bad;
  bool at_zeros = false;
  while (pos + batch_format::kHeaderSize <= file_size) {
    CO_ASSIGN_OR_RETURN(ConstBytes head, co_await reader.Get(pos, batch_format::kHeaderSize));
    if (AllZero(head)) {
      at_zeros = true;  // preallocated and never written, or damage (checked below)
      break;
    }
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
  ScanEnd end{.clean = true, .resume = segment->stats().next_offset};
  if (!is_last) {
    if (bad.empty()) co_return end;
    report.problems.push_back("corruption in " + Where(segment, pos) + ": " + bad);
    end.clean = false;
    co_return end;
  }
  if (bad.empty() && (trust_zeros || !at_zeros)) co_return end;
  // The end of the active segment: zeros, a torn write, or damage? A crash can only
  // have damaged the last flush, at most one write buffer long (the window allows
  // two); a valid batch beyond the bad bytes, or beyond zeros where a header should
  // be, means the log was damaged, not torn.
  uint64_t window_end = std::min<uint64_t>(file_size, pos + 2 * config_.write_buffer_bytes + kIoAlignment);
  CO_ASSIGN_OR_RETURN(TailProbe probe, co_await ProbeTail(reader, pos, window_end));
  if (probe.valid_batch_at >= 0) {
    // Offsets up to the last valid batch after the damage were handed out before
    // the crash; the log continues after them, never reusing one.
    CO_ASSIGN_OR_RETURN(Offset resume, co_await OffsetAfterValidBatches(reader, probe.valid_batch_at, end.resume));
    report.problems.push_back(
        "corruption in " + Where(segment, pos) + ": " + (bad.empty() ? "zeroed batch header" : bad) +
        " (a valid batch follows at byte " + std::to_string(probe.valid_batch_at) + "); offsets [" +
        std::to_string(end.resume.value()) + ", " + std::to_string(resume.value()) +
        ") are not served, the bytes stay in the file for inspection");
    end.clean = false;
    end.resume = resume;
    co_return end;
  }
  if (probe.non_zero_end > pos) {
    report.torn_bytes_truncated += probe.non_zero_end - pos;
    CO_RETURN_IF_ERROR(co_await ZeroTail(segment, FilePos(pos)));
  }
  co_return end;
}

// Cuts the log off at `from`: the file is truncated there and space is reserved
// again after it, so the bytes after the logical end read as zeros, as recovery
// expects.
Task<Status> PartitionLog::ZeroTail(const SegmentHandle& segment, FilePos from) {
  Result<std::unique_ptr<io::File>> file = fs_.Open(segment->PathOf(kLogExtension), {});
  if (!file.ok()) co_return file.status();
  CO_RETURN_IF_ERROR((*file)->Truncate(from.value()));
  CO_RETURN_IF_ERROR((*file)->Allocate(0, AlignUp(from.value() + config_.preallocate_bytes, kIoAlignment)));
  co_return co_await (*file)->DataSync();
}

Task<Status> PartitionLog::OpenActive(const SegmentHandle& segment) {
  Result<std::unique_ptr<io::File>> file =
      fs_.Open(segment->PathOf(kLogExtension), {.direct = config_.direct_io});
  if (!file.ok()) co_return file.status();
  uint64_t end = segment->stats().size;
  // Aligned, so that the partial last page below can be read whole. A file that
  // already has more space (an older, larger reservation) keeps it.
  Result<uint64_t> size = (*file)->Size();
  if (!size.ok()) co_return size.status();
  uint64_t reserve = std::max(*size, AlignUp(end + config_.preallocate_bytes, kIoAlignment));
  CO_RETURN_IF_ERROR((*file)->Allocate(0, reserve));
  // The partial last page is rewritten by the first flush, so the appender needs it.
  FilePos page(AlignDown(end, kIoAlignment));
  AlignedBuffer tail(kIoAlignment);
  if (end > page.value()) {
    CO_RETURN_IF_ERROR(co_await io::ReadFully(**file, page, tail.span()));
  }
  active_ = segment;
  active_file_ = std::move(*file);
  allocated_end_ = reserve;
  appender_ = std::make_unique<SegmentAppender>(
      loop_, *active_file_, FilePos(end), ConstBytes(tail.data(), end - page.value()),
      config_.write_buffer_bytes, static_cast<SegmentAppender::Listener&>(*this), clock_,
      sync_stats_, &flush_turn_);
  co_return Status::Ok();
}

}  // namespace millstream::storage
