#include "storage/verifier.h"

#include <xxhash.h>

#include <algorithm>
#include <map>

#include "storage/data_dir.h"
#include "storage/record_batch.h"
#include "storage/record_batch_format.h"
#include "storage/segment_files.h"

namespace millstream::storage {

namespace {

Task<Result<std::vector<std::byte>>> ReadWhole(io::FileSystem& fs, const std::string& path) {
  Result<std::unique_ptr<io::File>> file = fs.Open(path, {.read_only = true});
  if (!file.ok()) co_return file.status();
  Result<uint64_t> size = (*file)->Size();
  if (!size.ok()) co_return size.status();
  std::vector<std::byte> bytes(*size);
  Status s = co_await io::ReadFully(**file, FilePos(0), bytes);
  if (!s.ok()) co_return s;
  co_return std::move(bytes);
}

bool AllZero(ConstBytes b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

// Checks one segment. `expected_base` is where the previous segment ended (or -1).
Task<Status> VerifySegment(io::FileSystem& fs, const std::string& dir, Offset base,
                           Offset& expected_next, VerifySummary& summary) {
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
    CO_ASSIGN_OR_RETURN(std::vector<std::byte> bytes, co_await ReadWhole(fs, seal_path));
    Result<SealManifest> decoded = DecodeSeal(bytes);
    if (decoded.ok()) {
      seal = *decoded;
    } else {
      problem(seal_path, 0, decoded.status().message());
    }
  }
  CO_ASSIGN_OR_RETURN(std::vector<std::byte> log, co_await ReadWhole(fs, log_path));
  uint64_t limit = seal ? std::min<uint64_t>(seal->stats.size, log.size()) : log.size();
  if (seal && seal->stats.size > log.size()) {
    problem(log_path, log.size(), "file is shorter than its seal says (" +
                                      std::to_string(seal->stats.size) + " bytes)");
  }
  std::map<uint64_t, Offset> batch_at;  // position → base offset, for the index check
  SegmentStats stats;
  stats.base_offset = base;
  stats.next_offset = base;
  uint64_t pos = 0;
  while (pos < limit) {
    ConstBytes rest(log.data() + pos, limit - pos);
    if (rest.size() < batch_format::kHeaderSize || AllZero(rest.first(batch_format::kHeaderSize))) {
      if (!AllZero(rest)) problem(log_path, pos, "bytes after the last batch are not zero");
      break;
    }
    std::optional<BatchHeader> h = PeekBatchHeader(rest);
    if (h->batch_length < 49 || h->total_size() > rest.size()) {
      problem(log_path, pos, "bad batch length " + std::to_string(h->batch_length));
      break;
    }
    Result<BatchHeader> checked = CheckBatchFraming(rest.first(h->total_size()));
    if (!checked.ok()) {
      problem(log_path, pos, checked.status().message());
      break;
    }
    if (h->base_offset != stats.next_offset) {
      problem(log_path, pos, "batch offset " + std::to_string(h->base_offset.value()) +
                                 ", expected " + std::to_string(stats.next_offset.value()));
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
  if (seal) {
    XXH128_hash_t digest = XXH3_128bits(log.data(), limit);
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
    CO_ASSIGN_OR_RETURN(std::vector<std::byte> ib, co_await ReadWhole(fs, index_path));
    CO_ASSIGN_OR_RETURN(std::vector<std::byte> tb, co_await ReadWhole(fs, time_path));
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

Task<Status> VerifyPartition(io::FileSystem& fs, const std::string& dir, VerifySummary& summary) {
  CO_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.List(dir));
  ++summary.partitions;
  Offset expected_next(-1);
  for (const std::string& name : names) {
    std::optional<Offset> base = ParseSegmentFileName(name, kLogExtension);
    if (!base) continue;
    CO_RETURN_IF_ERROR(co_await VerifySegment(fs, dir, *base, expected_next, summary));
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
