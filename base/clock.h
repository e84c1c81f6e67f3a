// Time for the engine. Code asks a Clock, never the system directly, so tests can
// move time by hand (STYLE.md section 5: no sleeps).
#pragma once

#include <chrono>
#include <cstdint>

#include "base/strong_id.h"

namespace millstream {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for record timestamps and retention by age.
  virtual TimestampMs Now() const = 0;
  // Monotonic nanoseconds, for intervals and latencies.
  virtual int64_t MonotonicNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimestampMs Now() const override {
    return TimestampMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
  }
  int64_t MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock& Instance() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimestampMs start = TimestampMs(1'700'000'000'000)) : now_(start) {}
  TimestampMs Now() const override { return now_; }
  int64_t MonotonicNanos() const override { return mono_ns_; }
  void Advance(int64_t ms) {
    now_ += ms;
    mono_ns_ += ms * 1'000'000;
  }

 private:
  TimestampMs now_;
  int64_t mono_ns_ = 0;
};

}  // namespace millstream
