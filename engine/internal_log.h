// Internal logs: partition logs the broker keeps for itself (committed offsets,
// webhook idempotency keys), invisible to clients. Two helpers their stores
// share: opening one (recovery problems logged, as for a topic's partition) and
// reading every record from an offset to the written end at start-up.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "base/task.h"
#include "storage/partition_log.h"
#include "storage/record_batch.h"

namespace millstream::engine {

// Opens (creating) the log in `dir`; what recovery reports is logged as errors
// naming `what` ("committed offsets"). Borrowed arguments as PartitionLog::Open.
Task<Result<std::unique_ptr<storage::PartitionLog>>> OpenInternalLog(storage::io::FileSystem& fs,
                                                                     EventLoop& loop, const Clock& clock,
                                                                     std::string dir, storage::LogConfig config,
                                                                     std::string what);

// Calls `visit` for every record at or after `from`, in offset order, up to the
// written end. Stops at the first error `visit` returns, or that reading or
// decoding the batches meets.
Task<Status> ForEachRecord(storage::PartitionLog& log, Offset from,
                           std::function<Status(const storage::RecordView&)> visit);

// A record's key or value as a string_view (the bytes are borrowed).
inline std::string_view AsView(ConstBytes bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace millstream::engine
