// Waiting for an event or a deadline, whichever comes first (a fetch long poll
// waits for new data or max_wait_ms). A TimedWaitList holds waiters; Notify()
// wakes them all; each waiter's timer wakes it alone when the deadline passes.
// The state a waiter shares with its timer and the list lives on the heap, so the
// loser of the race (timer or notify) finds it already woken and does nothing.
// One thread: the loop's.
#pragma once

#include <linux/time_types.h>

#include <coroutine>
#include <memory>
#include <vector>

#include "base/event_loop.h"

namespace millstream {

class TimedWaitList {
 public:
  // Resumes the caller after Notify() or after `timeout_ms`, on `loop`.
  auto WaitFor(EventLoop& loop, int64_t timeout_ms) {
    struct Awaiter {
      TimedWaitList* list;
      EventLoop* loop;
      int64_t timeout_ms;
      bool await_ready() const noexcept { return timeout_ms <= 0; }
      void await_suspend(std::coroutine_handle<> h) const {
        auto state = std::make_shared<State>();
        state->loop = loop;
        state->waiter = h;
        state->timeout.tv_sec = timeout_ms / 1000;
        state->timeout.tv_nsec = (timeout_ms % 1000) * 1'000'000;
        state->self = state;  // kept alive by the pending timer until it completes
        std::erase_if(list->waiters_, [](const std::weak_ptr<State>& w) { return w.expired(); });
        list->waiters_.push_back(state);
        io_uring_sqe* sqe = loop->NextSqe();
        io_uring_prep_timeout(sqe, &state->timeout, 0, 0);
        loop->SetCompletion(sqe, state.get());
      }
      void await_resume() const noexcept {}
    };
    return Awaiter{this, &loop, timeout_ms};
  }

  // Wakes every waiter (on the next loop turn) and cancels its timer, so that no
  // timer outlives the wait by long (a loop must not stop with one in flight).
  void Notify() {
    for (auto& weak : waiters_) {
      std::shared_ptr<State> state = weak.lock();
      if (!state || state->woken) continue;
      state->Wake();
      io_uring_sqe* sqe = state->loop->NextSqe();
      io_uring_prep_timeout_remove(sqe, reinterpret_cast<uint64_t>(static_cast<EventLoop::Completion*>(state.get())), 0);
      // No completion target: the loop ignores the removal's own result.
      io_uring_sqe_set_data(sqe, nullptr);
    }
    waiters_.clear();
  }

 private:
  struct State : EventLoop::Completion {
    EventLoop* loop = nullptr;
    std::coroutine_handle<> waiter;
    bool woken = false;
    __kernel_timespec timeout{};
    std::shared_ptr<State> self;
    void Wake() {
      if (woken) return;
      woken = true;
      loop->Post(waiter);
    }
    void OnComplete(int32_t, uint32_t) override {
      Wake();
      self.reset();  // the last owner: the state goes now
    }
  };
  std::vector<std::weak_ptr<State>> waiters_;
};

}  // namespace millstream
