#include "tests/support/log_checker.h"

#include "storage/record_batch.h"
#include "storage/record_batch_format.h"

namespace millstream::testing {

LogContent ReadEverything(EventLoop& loop, storage::PartitionLog& log) {
  LogContent out;
  Offset next = log.log_start_offset();
  while (next < log.written_end_offset()) {
    Result<storage::ReadResult> read = loop.Run(log.Read(next, 1 << 20));
    if (!read.ok()) {
      out.error = "read at " + std::to_string(next.value()) + ": " + read.status().ToString();
      return out;
    }
    if (read->bytes.empty()) {
      out.error = "empty read at " + std::to_string(next.value());
      return out;
    }
    ConstBytes rest = read->bytes;
    while (!rest.empty()) {
      std::optional<storage::BatchHeader> h = storage::PeekBatchHeader(rest);
      Result<storage::BatchHeader> valid = storage::ValidateBatch(rest.first(h->total_size()));
      if (!valid.ok()) {
        out.error = "invalid batch at offset " + std::to_string(h->base_offset.value()) + ": " +
                    valid.status().ToString();
        return out;
      }
      storage::RecordReader records(*h, rest.subspan(storage::batch_format::kRecords,
                                                     h->total_size() - storage::batch_format::kRecords));
      while (auto r = records.Next()) {
        if (r->offset >= next) out.values[r->offset.value()] = std::string(AsStringView(*r->value));
      }
      rest = rest.subspan(h->total_size());
    }
    next = read->next_offset;
  }
  return out;
}

std::string CheckAgainstAcks(const LogContent& content, const std::map<int64_t, std::string>& acked,
                             const std::set<std::string>& appended) {
  if (!content.error.empty()) return content.error;
  for (const auto& [offset, value] : acked) {
    auto it = content.values.find(offset);
    if (it == content.values.end()) return "acknowledged offset " + std::to_string(offset) + " is missing";
    if (it->second != value) return "offset " + std::to_string(offset) + " holds another value";
  }
  int64_t expect = content.values.empty() ? 0 : content.values.begin()->first;
  for (const auto& [offset, value] : content.values) {
    if (offset != expect) return "hole before offset " + std::to_string(offset);
    if (!appended.count(value)) return "offset " + std::to_string(offset) + " holds a value never appended";
    ++expect;
  }
  return "";
}

}  // namespace millstream::testing
