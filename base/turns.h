// Turns: lets tasks that started in some order do one step in that same order
// (a connection's produce requests append in the order they arrived, while their
// waits for durability overlap). Take() hands out tickets in order; WaitTurn(t)
// returns when every earlier ticket finished; Finish(t) may be called for any
// ticket, early or late, and more than once. One thread.
//
// A finish wakes only the waiters whose turn came, not every waiter: a
// connection may have thousands of small produce requests in flight, and waking
// them all on every finish made the work per request grow with their number.
#pragma once

#include <coroutine>
#include <cstdint>
#include <map>
#include <set>

#include "base/event_loop.h"
#include "base/task.h"

namespace millstream {

class Turns {
 public:
  uint64_t Take() { return next_++; }

  Task<void> WaitTurn(uint64_t ticket) { co_await TurnAwaiter{this, ticket}; }

  void Finish(uint64_t ticket, EventLoop& loop) {
    if (ticket < serving_) return;
    finished_.insert(ticket);
    uint64_t before = serving_;
    while (finished_.erase(serving_) > 0) ++serving_;
    if (serving_ == before) return;
    // Waiters are ordered by ticket: the ones at or below serving_ come first.
    auto it = waiting_.begin();
    for (; it != waiting_.end() && it->first <= serving_; ++it) loop.Post(it->second);
    waiting_.erase(waiting_.begin(), it);
  }

 private:
  struct TurnAwaiter {
    Turns* turns;
    uint64_t ticket;
    bool await_ready() const noexcept { return turns->serving_ >= ticket; }
    void await_suspend(std::coroutine_handle<> h) const { turns->waiting_.emplace(ticket, h); }
    void await_resume() const noexcept {}
  };

  uint64_t next_ = 0;
  uint64_t serving_ = 0;         // every ticket below has finished
  std::set<uint64_t> finished_;  // finished tickets at or above serving_
  std::multimap<uint64_t, std::coroutine_handle<>> waiting_;  // parked WaitTurn calls by ticket
};

}  // namespace millstream
