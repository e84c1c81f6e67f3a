// Shared checks for the crash suites: reading a whole partition log back and
// comparing it with what was acknowledged as durable.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "storage/partition_log.h"

namespace millstream::testing {

struct LogContent {
  std::map<int64_t, std::string> values;  // offset → value of every readable record
  std::string error;                      // the first problem met while reading
};

// Reads every record from the log start to the written end.
LogContent ReadEverything(EventLoop& loop, storage::PartitionLog& log);

// Empty when every acknowledged (offset → value) is present with the same value,
// offsets run without holes from the log start, and every value read is one that
// was appended at some point (`appended`); otherwise the first violation.
std::string CheckAgainstAcks(const LogContent& content, const std::map<int64_t, std::string>& acked,
                             const std::set<std::string>& appended);

}  // namespace millstream::testing
