// FlushScheduler: the order in which one shard's partition logs put their flushes
// (a write, a write linked with an fdatasync, or an fdatasync alone) to the
// device, by the priority class of their topics. A bulk surge (supplier ASNs,
// invoices) then cannot queue a critical batch (a released production order, a
// machine down) behind megabytes of bulk writes in the device queue.
//
// The rule (docs/operations.md, "Priority classes"):
// - a critical flush starts at once, always;
// - standard and bulk flushes share `max_background` slots; a freed slot goes to a
//   waiting standard flush before a bulk one, in arrival order within a class;
// - while a critical flush is in flight, a standard or bulk flush starts only if
//   nothing of its class is in flight: no new device work piles up in front of
//   it (what had started before it still goes first);
// - a class with nothing in flight may always start one flush, so no class
//   starves, however busy the others are.
// Appends themselves never wait here: they are copies into the partition's
// buffer. What waits is the device work, and with it the acknowledgements.
//
// Lifecycle: one per shard, owned by the shard, outliving its logs. One thread.
#pragma once

#include <array>
#include <coroutine>
#include <cstdint>
#include <deque>

#include "base/clock.h"
#include "base/event_loop.h"

namespace millstream::storage {

enum class IoClass : uint8_t { kCritical = 0, kStandard = 1, kBulk = 2 };
inline constexpr size_t kIoClasses = 3;

class FlushScheduler {
 public:
  struct Stats {
    std::array<uint64_t, kIoClasses> flushes{};  // asked for a turn
    std::array<uint64_t, kIoClasses> waited{};   // of which had to wait
    std::array<int64_t, kIoClasses> wait_ns{};   // time spent waiting

    void Merge(const Stats& other) {
      for (size_t c = 0; c < kIoClasses; ++c) {
        flushes[c] += other.flushes[c];
        waited[c] += other.waited[c];
        wait_ns[c] += other.wait_ns[c];
      }
    }
  };

  static constexpr int kDefaultMaxBackground = 4;

  FlushScheduler(EventLoop& loop, const Clock& clock, int max_background = kDefaultMaxBackground)
      : loop_(loop), clock_(clock), max_background_(max_background) {}
  FlushScheduler(const FlushScheduler&) = delete;
  FlushScheduler& operator=(const FlushScheduler&) = delete;

  // Awaitable: resumes when a flush of class `c` may start. Every Acquire is
  // followed by one Release(c) when that flush completed.
  auto Acquire(IoClass c) {
    struct Awaiter {
      FlushScheduler* self;
      IoClass c;
      int64_t since = -1;  // set when it had to wait
      bool await_ready() {
        ++self->stats_.flushes[Index(c)];
        if (!self->waiting_[Index(c)].empty() || !self->MayStart(c)) return false;
        ++self->in_flight_[Index(c)];
        return true;
      }
      void await_suspend(std::coroutine_handle<> h) {
        ++self->stats_.waited[Index(c)];
        since = self->clock_.MonotonicNanos();
        self->waiting_[Index(c)].push_back(h);
      }
      void await_resume() {
        if (since >= 0) self->stats_.wait_ns[Index(c)] += self->clock_.MonotonicNanos() - since;
      }
    };
    return Awaiter{this, c};
  }

  void Release(IoClass c) {
    --in_flight_[Index(c)];
    StartWaiters();
  }

  int in_flight(IoClass c) const { return in_flight_[Index(c)]; }
  const Stats& stats() const { return stats_; }

 private:
  static size_t Index(IoClass c) { return static_cast<size_t>(c); }

  bool MayStart(IoClass c) const {
    if (c == IoClass::kCritical) return true;
    if (in_flight_[Index(c)] == 0) return true;  // no class starves
    if (in_flight_[Index(IoClass::kCritical)] > 0) return false;
    if (in_flight_[Index(IoClass::kStandard)] + in_flight_[Index(IoClass::kBulk)] >= max_background_) return false;
    // A standard flush waiting goes first.
    return c == IoClass::kStandard || waiting_[Index(IoClass::kStandard)].empty();
  }

  // Starts waiters in class order while the rule lets them.
  void StartWaiters() {
    for (size_t i = 0; i < kIoClasses; ++i) {
      auto c = static_cast<IoClass>(i);
      while (!waiting_[i].empty() && MayStart(c)) {
        ++in_flight_[i];
        loop_.Post(waiting_[i].front());
        waiting_[i].pop_front();
      }
    }
  }

  EventLoop& loop_;
  const Clock& clock_;
  int max_background_;
  std::array<int, kIoClasses> in_flight_{};
  std::array<std::deque<std::coroutine_handle<>>, kIoClasses> waiting_;
  Stats stats_;
};

// Where one log's flushes take their turn: its shard's scheduler (none: at once)
// and its topic's class, which may change while the log is open.
struct FlushTurn {
  FlushScheduler* scheduler = nullptr;
  IoClass io_class = IoClass::kStandard;
};

}  // namespace millstream::storage
