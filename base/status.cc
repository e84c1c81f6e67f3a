#include "base/status.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "base/check.h"

namespace millstream {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "Ok";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kOutOfRange: return "OutOfRange";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIoError: return "IoError";
    case StatusCode::kNoSpace: return "NoSpace";
    case StatusCode::kBusy: return "Busy";
    case StatusCode::kShuttingDown: return "ShuttingDown";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  std::string out(StatusCodeName(code_));
  if (!message_.empty()) out += ": " + message_;
  if (sys_errno_ != 0) {
    out += " (errno " + std::to_string(sys_errno_) + ", " + std::strerror(sys_errno_) + ")";
  }
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_, sys_errno_);
}

Status StatusFromErrno(int sys_errno, std::string_view what) {
  std::string message(what);
  switch (sys_errno) {
    case ENOSPC:
    case EDQUOT: return NoSpace(std::move(message), sys_errno);
    case ENOENT: return Status(StatusCode::kNotFound, std::move(message), sys_errno);
    case EINVAL: return Status(StatusCode::kInvalidArgument, std::move(message), sys_errno);
    default: return IoError(std::move(message), sys_errno);
  }
}

namespace internal {

CheckFailure::CheckFailure(const char* condition, const char* file, int line) {
  stream_ << file << ":" << line << ": check failed: " << condition << " ";
}

CheckFailure::~CheckFailure() {
  std::cerr << stream_.str() << std::endl;
  std::abort();
}

}  // namespace internal
}  // namespace millstream
