// Invariant checks. A broken invariant is a bug, not an error: MS_CHECK prints the
// condition, the place and a streamed message, then aborts (STYLE.md section 3).
// MS_DCHECK does the same in debug and sanitizer builds only.
#pragma once

#include <sstream>
#include <string_view>

namespace millstream::internal {

class CheckFailure {
 public:
  CheckFailure(const char* condition, const char* file, int line);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets `MS_CHECK(x) << ...` be a statement whose value is void in both branches.
struct Voidify {
  void operator&(CheckFailure&) {}
  void operator&(CheckFailure&&) {}
};

}  // namespace millstream::internal

#define MS_CHECK(condition)               \
  (condition) ? (void)0                   \
              : ::millstream::internal::Voidify() & \
                    ::millstream::internal::CheckFailure(#condition, __FILE__, __LINE__)

#ifdef NDEBUG
#define MS_DCHECK(condition) \
  while (false) MS_CHECK(condition)
#else
#define MS_DCHECK(condition) MS_CHECK(condition)
#endif
