// Offline verification of a data directory (`millstream verify`): every batch's
// framing and CRC-32C, offset continuity, each seal's XXH3-128 digest and
// statistics, and each index against the batches it points at. Read-only.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/task.h"
#include "storage/io/file_system.h"

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

// Verifies one partition directory, adding to `summary`.
Task<Status> VerifyPartition(io::FileSystem& fs, const std::string& dir, VerifySummary& summary);
// Verifies every partition of a data directory.
Task<Result<VerifySummary>> VerifyDataDir(io::FileSystem& fs, const std::string& data_dir);

}  // namespace millstream::storage
