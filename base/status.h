// Status and Result<T>: the one error style of Millstream (STYLE.md section 3).
// A Status is a closed code, an optional kernel errno and a message for people.
// Result<T> is modelled on std::expected: a value or a non-Ok Status. Neither
// throws; both are [[nodiscard]], so a caller has to decide about every error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/check.h"

namespace millstream {

enum class StatusCode : uint8_t {
  kOk,
  kNotFound,
  kInvalidArgument,
  kOutOfRange,
  kCorruption,
  kIoError,
  kNoSpace,  // its own code: the engine stops taking produce and runs retention
  kBusy,     // back-pressure: try again later
  kShuttingDown,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // Ok
  Status(StatusCode code, std::string message, int sys_errno = 0)
      : code_(code), sys_errno_(sys_errno), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The errno the kernel reported, or 0 when the error did not come from the kernel.
  int sys_errno() const { return sys_errno_; }
  const std::string& message() const { return message_; }

  // "Corruption: bad crc at 00000000000000000000.log:4096" (with ", errno N (text)").
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>", keeping code and errno.
  Status WithContext(std::string_view context) const;

  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  int sys_errno_ = 0;
  std::string message_;
};

inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status IoError(std::string m, int sys_errno = 0) {
  return {StatusCode::kIoError, std::move(m), sys_errno};
}
inline Status NoSpace(std::string m, int sys_errno = 0) {
  return {StatusCode::kNoSpace, std::move(m), sys_errno};
}
inline Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
inline Status ShuttingDown(std::string m) { return {StatusCode::kShuttingDown, std::move(m)}; }

// Maps an errno from a failed system call to a Status: ENOSPC and EDQUOT become
// NoSpace, ENOENT NotFound, EINVAL InvalidArgument, everything else IoError.
Status StatusFromErrno(int sys_errno, std::string_view what);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit like std::expected
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    MS_CHECK(!std::get<Status>(v_).ok()) << "Result built from an Ok status";
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    MS_CHECK(ok()) << "value() of a failed Result: " << status().ToString();
    return std::get<T>(v_);
  }
  const T& value() const& {
    MS_CHECK(ok()) << "value() of a failed Result: " << status().ToString();
    return std::get<T>(v_);
  }
  T&& value() && {
    MS_CHECK(ok()) << "value() of a failed Result: " << status().ToString();
    return std::get<T>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace millstream

#define MS_CONCAT_INNER(a, b) a##b
#define MS_CONCAT(a, b) MS_CONCAT_INNER(a, b)

// Returns the Status of `expr` (a Status or a Result) from the enclosing function if it failed.
#define RETURN_IF_ERROR(expr)                                                  \
  do {                                                                         \
    if (auto&& ms_status_ = (expr); !ms_status_.ok())                          \
      return ::millstream::internal::AsStatus(ms_status_);                     \
  } while (0)

// `lhs` = the value of the Result `rexpr`, or returns its Status.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL(MS_CONCAT(ms_result_, __LINE__), lhs, rexpr, return)

// Coroutine twins of the two macros above: they co_return instead of return.
#define CO_RETURN_IF_ERROR(expr)                                               \
  do {                                                                         \
    if (auto&& ms_status_ = (expr); !ms_status_.ok())                          \
      co_return ::millstream::internal::AsStatus(ms_status_);                  \
  } while (0)
#define CO_ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL(MS_CONCAT(ms_result_, __LINE__), lhs, rexpr, co_return)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr, ret) \
  auto tmp = (rexpr);                               \
  if (!tmp.ok()) ret tmp.status();                  \
  lhs = std::move(tmp).value()
