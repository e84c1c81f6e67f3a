#include "storage/io/completion_status.h"

#include <cerrno>

namespace millstream::storage::io {

namespace {
// The kernel's MAX_ERRNO: a negative result below -4095 is not an errno.
constexpr int32_t kMaxErrno = 4095;
}  // namespace

Result<size_t> CompletionToResult(int32_t res, std::string_view what, const std::string& path) {
  if (res >= 0) return static_cast<size_t>(res);
  std::string message(what);
  message += ' ';
  message += path;
  if (res < -kMaxErrno) {
    // Not an errno at all (and -res might not even be representable): keep the raw
    // value for the report instead of inventing a code.
    return IoError(message + ": completion result " + std::to_string(res) + " is not an errno");
  }
  // The errno of a cancelled link says nothing about this operation; the cause is in
  // the completion of the operation before it.
  if (res == -ECANCELED) message += ": not run, the linked operation before it was short or failed";
  return StatusFromErrno(-res, message);
}

}  // namespace millstream::storage::io
