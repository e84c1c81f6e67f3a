// The one place where an io_uring completion result becomes a Result (STYLE.md
// section 5). The ring reports every outcome as a signed 32-bit value: a byte count
// (or 0 for fsync) on success, a negative errno on failure. Keeping the conversion in
// one pure function lets it be unit-tested with made-up results, without a kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace millstream::storage::io {

// Converts the result `res` of one completion for the operation `what` on `path`.
//
// res >= 0: the value, unchanged. A count below the length asked for is a short
//   transfer, not an error; the caller decides (File::Write callers loop).
// res < 0: StatusFromErrno(-res) with the message "<what> <path>", so ENOSPC and
//   EDQUOT become NoSpace, ENOENT NotFound, EINVAL InvalidArgument and the rest
//   IoError; sys_errno() keeps the errno.
// res == -ECANCELED: an operation linked (IOSQE_IO_LINK) behind one that was short
//   or failed never ran. It stays IoError with sys_errno() == ECANCELED and its
//   message says so, so that callers and logs can tell "did not run" from "failed".
//
// `what` names the operation the way a reader of the log wants it, e.g.
// "write 4096 bytes at 8192 to" or "fdatasync of".
Result<size_t> CompletionToResult(int32_t res, std::string_view what, const std::string& path);

}  // namespace millstream::storage::io
