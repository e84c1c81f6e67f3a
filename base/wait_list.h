// WaitList: coroutines parked until something happens (a flush finished, a roll
// ended). `co_await list.Wait()` parks the caller; WakeAll resumes every parked
// coroutine on the loop's next turn, in the order they arrived. One thread.
#pragma once

#include <coroutine>
#include <deque>

#include "base/event_loop.h"

namespace millstream {

class WaitList {
 public:
  auto Wait() {
    struct Awaiter {
      WaitList* list;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) const { list->waiters_.push_back(h); }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }

  void WakeAll(EventLoop& loop) {
    while (!waiters_.empty()) {
      loop.Post(waiters_.front());
      waiters_.pop_front();
    }
  }

  bool empty() const { return waiters_.empty(); }

 private:
  std::deque<std::coroutine_handle<>> waiters_;
};

}  // namespace millstream
