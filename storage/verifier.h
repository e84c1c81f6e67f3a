// Offline verification of a data directory (`millstream verify`): every batch's
// framing and CRC-32C, offset continuity, each seal's XXH3-128 digest and
// statistics, and each index against the batches it points at. Read-only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/task.h"
#include "storage/io/file_system.h"
#include "storage/record_batch.h"

namespace millstream::storage {

struct VerifyProblem {
  std::string file;
  uint64_t pos = 0;  // byte position in `file`
  std::string what;
  std::string ToString() const { return file + ":" + std::to_string(pos) + ": " + what; }
};

struct VerifySummary {
  int partitions = 0;
  int segments = 0;
  int64_t batches = 0;
  uint64_t bytes = 0;
  std::vector<VerifyProblem> problems;
};

// Part of a partition to verify, and what to do with its batches (replay).
struct VerifyRange {
  Offset from;  // the segments holding [from, to) are verified, the others skipped
  Offset to;
  // Called with every batch that holds offsets in [from, to), in offset order,
  // once its framing and CRC-32C checked out; an error stops the walk.
  std::function<Status(const BatchHeader& header, ConstBytes batch)> visit;
};

// Verifies one partition directory (or, with `range`, the segments that hold
// that range), adding to `summary`.
Task<Status> VerifyPartition(io::FileSystem& fs, const std::string& dir, VerifySummary& summary,
                             const VerifyRange* range = nullptr);
// Verifies every partition of a data directory.
Task<Result<VerifySummary>> VerifyDataDir(io::FileSystem& fs, const std::string& data_dir);

}  // namespace millstream::storage
