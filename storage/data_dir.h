// The layout of a data directory: DIR/topics/<topic>/<partition>/ holds one
// partition log (docs/storage-format.md, "Data directory").
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/strong_id.h"
#include "base/task.h"
#include "storage/io/file_system.h"

namespace millstream::storage {

struct PartitionDir {
  std::string topic;
  int32_t partition = 0;
  std::string path;
};

std::string TopicsRoot(const std::string& data_dir);
std::string PartitionPath(const std::string& data_dir, const std::string& topic, int32_t partition);
// Every partition directory under `data_dir`, sorted by topic and partition.
// Only canonical partition numbers count ("7", not "007"); other entries and plain
// files are skipped. A topic directory that cannot be listed is an error.
Result<std::vector<PartitionDir>> ListPartitions(io::FileSystem& fs, const std::string& data_dir);

// The start DeleteRecords set in a partition directory (its "log_start_offset"
// file, docs/storage-format.md), 0 when there is none. Corruption when the file
// does not hold an offset.
Task<Result<Offset>> ReadDeletedBefore(io::FileSystem& fs, const std::string& partition_dir);

}  // namespace millstream::storage
