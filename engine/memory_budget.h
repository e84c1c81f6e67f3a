// MemoryBudget: bounds the bytes one shard holds on behalf of clients, from the
// moment a request is read until it is answered (for produce with acks=all: until
// its records are durable). Past the budget the shard stops reading from the
// connections that send the most and goes on reading from light ones, so a flood
// of bulk producers cannot starve a plant-critical producer or a consumer's fetch
// of the ability to send its next request (docs/operations.md, "Memory budget").
//
// The rule, for a holder (a connection) that already holds `held` bytes and asks
// for `bytes` more:
// - within the budget: granted;
// - past it, a light holder (held + bytes within the light allowance, budget/64)
//   is granted from a reserve of budget/8 on top of the budget;
// - when the shard holds nothing at all, granted whatever the size, so a request
//   larger than the budget still gets through (alone);
// - otherwise the holder waits (WaitForRoom) and asks again.
// So a shard never holds more than budget + budget/8, or one request when that is
// larger.
//
// Lifecycle: one per shard, created with the server; used only on that shard's
// thread, so the counts are plain integers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/event_loop.h"
#include "base/task.h"
#include "base/timed_wait.h"

namespace millstream::engine {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t budget_bytes)
      : budget_(budget_bytes), reserve_(budget_bytes / 8), light_allowance_(budget_bytes / 64) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Takes `bytes` for a holder that already holds `held`, when the rule above
  // grants it; false leaves everything as it was.
  bool TryTake(size_t held, size_t bytes) {
    bool granted = used_ + bytes <= budget_ ||
                   (held + bytes <= light_allowance_ && used_ + bytes <= budget_ + reserve_) ||
                   used_ == 0;
    if (granted) {
      used_ += bytes;
      if (used_ > peak_) peak_ = used_;
    }
    return granted;
  }

  // Gives back bytes taken before; wakes the waiters to ask again.
  void Give(size_t bytes) {
    used_ -= bytes;
    ++gives_;
    if (bytes > 0) waiters_.Notify();
  }

  // Counts Give calls: a caller that was refused notes it, and waits only if
  // nothing was given back since (a Give before the wait would wake nobody).
  uint64_t gives() const { return gives_; }
  // Waits until some bytes were given back, WakeWaiters, or `timeout_ms`. The
  // caller asks again with TryTake.
  Task<void> WaitForRoom(EventLoop& loop, int64_t timeout_ms) { co_await waiters_.WaitFor(loop, timeout_ms); }
  // Wakes every waiter, for one that must stop waiting (its connection closes).
  void WakeWaiters() { waiters_.Notify(); }

  size_t budget() const { return budget_; }
  size_t limit() const { return budget_ + reserve_; }  // what light holders may reach
  size_t used() const { return used_; }
  size_t peak() const { return peak_; }

 private:
  size_t budget_;
  size_t reserve_;
  size_t light_allowance_;
  size_t used_ = 0;
  size_t peak_ = 0;
  uint64_t gives_ = 0;
  TimedWaitList waiters_;
};

}  // namespace millstream::engine
