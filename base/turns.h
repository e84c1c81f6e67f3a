// Turns: lets tasks that started in some order do one step in that same order
// (a connection's produce requests append in the order they arrived, while their
// waits for durability overlap). Take() hands out tickets in order; WaitTurn(t)
// returns when every earlier ticket finished; Finish(t) may be called for any
// ticket, early or late, and more than once. One thread.
#pragma once

#include <cstdint>
#include <set>

#include "base/event_loop.h"
#include "base/task.h"
#include "base/wait_list.h"

namespace millstream {

class Turns {
 public:
  uint64_t Take() { return next_++; }

  Task<void> WaitTurn(uint64_t ticket) {
    while (serving_ < ticket) co_await waiters_.Wait();
  }

  void Finish(uint64_t ticket, EventLoop& loop) {
    if (ticket < serving_) return;
    finished_.insert(ticket);
    while (finished_.erase(serving_) > 0) ++serving_;
    waiters_.WakeAll(loop);
  }

 private:
  uint64_t next_ = 0;
  uint64_t serving_ = 0;         // every ticket below has finished
  std::set<uint64_t> finished_;  // finished tickets at or above serving_
  WaitList waiters_;
};

}  // namespace millstream
