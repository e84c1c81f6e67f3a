#include "engine/internal_log.h"

#include <spdlog/spdlog.h>

#include "storage/record_batch_format.h"

namespace millstream::engine {

Task<Result<std::unique_ptr<storage::PartitionLog>>> OpenInternalLog(storage::io::FileSystem& fs,
                                                                     EventLoop& loop, const Clock& clock,
                                                                     std::string dir, storage::LogConfig config,
                                                                     std::string what) {
  storage::RecoveryReport report;
  Result<std::unique_ptr<storage::PartitionLog>> log =
      co_await storage::PartitionLog::Open(fs, loop, clock, dir, config, &report);
  if (!log.ok()) co_return log.status();
  for (const auto& problem : report.problems) spdlog::error("{} in {}: {}", what, dir, problem);
  co_return std::move(*log);
}

Task<Status> ForEachRecord(storage::PartitionLog& log, Offset from,
                           std::function<Status(const storage::RecordView&)> visit) {
  Offset next = from;
  while (next < log.written_end_offset()) {
    Result<storage::ReadResult> read = co_await log.Read(next, 1 << 20);
    if (!read.ok()) co_return read.status();
    ConstBytes rest = read->bytes;
    while (rest.size() >= storage::batch_format::kHeaderSize) {
      storage::BatchHeader h = *storage::PeekBatchHeader(rest);
      storage::RecordReader reader(h, rest.subspan(storage::batch_format::kRecords,
                                                   h.total_size() - storage::batch_format::kRecords));
      while (std::optional<storage::RecordView> record = reader.Next()) {
        if (record->offset < from) continue;  // the first batch may start before `from`
        CO_RETURN_IF_ERROR(visit(*record));
      }
      CO_RETURN_IF_ERROR(reader.status());
      rest = rest.subspan(h.total_size());
    }
    if (read->next_offset <= next) break;  // nothing more is readable
    next = read->next_offset;
  }
  co_return Status::Ok();
}

}  // namespace millstream::engine
