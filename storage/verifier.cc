#include "storage/verifier.h"

#include <xxhash.h>

#include <algorithm>
#include <map>

#include "storage/chunk_reader.h"
#include "storage/data_dir.h"
#include "storage/record_batch.h"
#include "storage/record_batch_format.h"
#include "storage/segment_files.h"

namespace millstream::storage {

namespace {

// Bytes after the logical end that verify reads to find stray data: twice the
// default write buffer, as recovery's probe.
constexpr uint64_t kZeroWindow = 16ull << 20;

// Checks one segment. `expected_next` is where the previous segment ended (or -1).
Task<Status> VerifySegment(io::FileSystem& fs, const std::string& dir, Offset base,
                           Offset& expected_next, VerifySummary& summary, const VerifyRange* range) {
  auto problem = [&](std::string file, uint64_t pos, std::string what) {
    summary.problems.push_back({std::move(file), pos, std::move(what)});
  };
  std::string log_path = io::JoinPath(dir, SegmentFileName(base, kLogExtension));
  std::string seal_path = io::JoinPath(dir, SegmentFileName(base, kSealExtension));
  ++summary.segments;
  if (expected_next.value() >= 0 && base != expected_next) {
    problem(log_path, 0, "segment starts at offset " + std::to_string(base.value()) +
                             " but the previous one ends before " +
                             std::to_string(expected_next.value()));
  }
  std::optional<SealManifest> seal;
  CO_ASSIGN_OR_RETURN(bool has_seal, fs.Exists(seal_path));
  if (has_seal) {
    CO_ASSIGN_OR_RETURN(std::vector<std::byte> bytes, co_await io::ReadWholeFile(fs, seal_path));
    Result<SealManifest> decoded = DecodeSeal(bytes);
    if (decoded.ok()) {
      seal = *decoded;
    } else {
      problem(seal_path, 0, decoded.status().message());
    }
  }
  // The log is read in chunks: an active segment is preallocated to its full size.
  CO_ASSIGN_OR_RETURN(std::unique_ptr<io::File> file, fs.Open(log_path, {.read_only = true}));
  CO_ASSIGN_OR_RETURN(uint64_t file_size, file->Size());
  ChunkReader reader(*file, file_size, 4 << 20);
  uint64_t limit = seal ? std::min<uint64_t>(seal->stats.size, file_size) : file_size;
  if (seal && seal->stats.size > file_size) {
    problem(log_path, file_size, "file is shorter than its seal says (" +
                                      std::to_string(seal->stats.size) + " bytes)");
  }
  XXH3_state_t* digest_state = XXH3_createState();
  XXH3_128bits_reset(digest_state);
  std::map<uint64_t, Offset> batch_at;  // position → base offset, for the index check
  SegmentStats stats;
  stats.base_offset = base;
  stats.next_offset = base;
  uint64_t pos = 0;
  bool damaged = false;
  while (pos < limit) {
    CO_ASSIGN_OR_RETURN(ConstBytes head, co_await reader.Get(pos, batch_format::kHeaderSize));
    if (head.size() < batch_format::kHeaderSize || AllZero(head)) break;
    std::optional<BatchHeader> h = PeekBatchHeader(head);
    if (h->batch_length < 49 || pos + h->total_size() > limit) {
      problem(log_path, pos, "bad batch length " + std::to_string(h->batch_length));
      damaged = true;
      break;
    }
    CO_ASSIGN_OR_RETURN(ConstBytes batch, co_await reader.Get(pos, h->total_size()));
    Result<BatchHeader> checked = CheckBatchFraming(batch);
    if (!checked.ok()) {
      problem(log_path, pos, checked.status().message());
      damaged = true;
      break;
    }
    if (h->base_offset != stats.next_offset) {
      problem(log_path, pos, "batch offset " + std::to_string(h->base_offset.value()) +
                                 ", expected " + std::to_string(stats.next_offset.value()));
    }
    XXH3_128bits_update(digest_state, batch.data(), batch.size());
    if (range != nullptr && h->last_offset() >= range->from && h->base_offset < range->to) {
      Status visited = range->visit(*h, batch);
      if (!visited.ok()) {
        XXH3_freeState(digest_state);
        co_return visited;
      }
    }
    batch_at[pos] = h->base_offset;
    if (stats.batch_count == 0) stats.first_timestamp = h->base_timestamp;
    stats.max_timestamp = std::max(stats.max_timestamp, h->max_timestamp);
    stats.next_offset = h->last_offset() + 1;
    stats.batch_count += 1;
    stats.record_count += h->records_count;
    pos += h->total_size();
    stats.size = pos;
    summary.batches += 1;
  }
  summary.bytes += stats.size;
  // Past the last batch: up to the sealed end the digest still covers the bytes;
  // after it (or after the last batch of an unsealed file) there must be zeros.
  // Only a window as long as recovery probes is read, not all of a preallocated
  // gigabyte: a flush never writes further than that past the end.
  uint64_t check_end = std::min<uint64_t>(file_size, (seal ? std::max(limit, pos) : pos) + kZeroWindow);
  for (uint64_t at = pos; at < check_end && !damaged;) {
    CO_ASSIGN_OR_RETURN(ConstBytes chunk, co_await reader.Get(at, std::min<uint64_t>(4 << 20, check_end - at)));
    if (chunk.empty()) break;
    size_t in_seal = at < limit ? std::min<uint64_t>(chunk.size(), limit - at) : 0;
    if (in_seal > 0) XXH3_128bits_update(digest_state, chunk.data(), in_seal);
    auto non_zero = std::find_if(chunk.begin(), chunk.end(), [](std::byte x) { return x != std::byte{0}; });
    if (non_zero != chunk.end()) {
      uint64_t where = at + (non_zero - chunk.begin());
      problem(log_path, where, where < limit ? "bytes inside the sealed range after the last batch"
                                             : seal ? "bytes after the sealed end (damage kept for inspection?)"
                                                    : "bytes after the last batch are not zero");
      break;
    }
    at += chunk.size();
  }
  XXH128_hash_t digest = XXH3_128bits_digest(digest_state);
  XXH3_freeState(digest_state);
  if (seal && !damaged) {
    if (digest.high64 != seal->digest_high || digest.low64 != seal->digest_low) {
      problem(log_path, 0, "XXH3-128 digest does not match the seal");
    }
    if (seal->stats.next_offset != stats.next_offset || seal->stats.record_count != stats.record_count ||
        seal->stats.batch_count != stats.batch_count) {
      problem(seal_path, 0, "seal statistics do not match the log (seal ends before offset " +
                                std::to_string(seal->stats.next_offset.value()) + ", log before " +
                                std::to_string(stats.next_offset.value()) + ")");
    }
  }
  // Indexes: optional (rebuilt at open), but when present they must be right.
  std::string index_path = io::JoinPath(dir, SegmentFileName(base, kIndexExtension));
  std::string time_path = io::JoinPath(dir, SegmentFileName(base, kTimeIndexExtension));
  CO_ASSIGN_OR_RETURN(bool has_index, fs.Exists(index_path));
  CO_ASSIGN_OR_RETURN(bool has_time, fs.Exists(time_path));
  if (has_index && has_time) {
    CO_ASSIGN_OR_RETURN(std::vector<std::byte> ib, co_await io::ReadWholeFile(fs, index_path));
    CO_ASSIGN_OR_RETURN(std::vector<std::byte> tb, co_await io::ReadWholeFile(fs, time_path));
    Result<PersistedIndex> index = DecodeIndexFiles(ib, tb);
    if (!index.ok()) {
      problem(index_path, 0, index.status().message());
    } else {
      for (const OffsetIndexEntry& e : index->offsets) {
        auto it = batch_at.find(e.position);
        if (it == batch_at.end() || it->second != base + e.relative_offset) {
          problem(index_path, e.position, "index entry for offset " +
                                              std::to_string(base.value() + e.relative_offset) +
                                              " does not point at that batch");
        }
      }
      if (index->stats.size > stats.size) {
        problem(index_path, 0, "index covers " + std::to_string(index->stats.size) +
                                   " bytes but the log holds " + std::to_string(stats.size));
      }
    }
  } else if (has_index != has_time) {
    problem(has_index ? time_path : index_path, 0, "missing (its twin exists)");
  }
  expected_next = stats.next_offset;
  co_return Status::Ok();
}

}  // namespace

Task<Status> VerifyPartition(io::FileSystem& fs, const std::string& dir, VerifySummary& summary,
                             const VerifyRange* range) {
  CO_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.List(dir));
  ++summary.partitions;
  std::vector<Offset> bases;
  for (const std::string& name : names) {
    if (std::optional<Offset> base = ParseSegmentFileName(name, kLogExtension)) bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  Offset expected_next(-1);
  for (size_t i = 0; i < bases.size(); ++i) {
    // A segment holds offsets from its base up to the next segment's base.
    bool before = range != nullptr && i + 1 < bases.size() && bases[i + 1] <= range->from;
    bool after = range != nullptr && bases[i] >= range->to;
    if (before || after) {
      expected_next = Offset(-1);  // continuity is checked only between segments read
      continue;
    }
    CO_RETURN_IF_ERROR(co_await VerifySegment(fs, dir, bases[i], expected_next, summary, range));
  }
  co_return Status::Ok();
}

Task<Result<VerifySummary>> VerifyDataDir(io::FileSystem& fs, const std::string& data_dir) {
  VerifySummary summary;
  CO_ASSIGN_OR_RETURN(std::vector<PartitionDir> partitions, ListPartitions(fs, data_dir));
  for (const PartitionDir& p : partitions) {
    CO_RETURN_IF_ERROR(co_await VerifyPartition(fs, p.path, summary));
  }
  co_return std::move(summary);
}

}  // namespace millstream::storage
