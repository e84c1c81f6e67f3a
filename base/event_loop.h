// EventLoop: one io_uring plus a queue of coroutines ready to run, owned by one
// thread (a shard, a tool, a test). Storage submits file I/O to it and the network
// layer will submit socket I/O to the same ring, which is why it lives in base/
// although it needs liburing (docs/architecture.md, "why the ring is in base").
//
// Lifecycle: Create() → Spawn()/Run() tasks → destroy after every task finished.
// Everything here is single-threaded: only the owning thread touches the loop, and
// never from inside a task (a task awaits; it does not call Run or RunOnce).
#pragma once

#include <liburing.h>

#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "base/status.h"
#include "base/task.h"

namespace millstream {

class EventLoop {
 public:
  // Where a completion goes: io_uring's user_data points at one of these.
  class Completion {
   public:
    virtual void OnComplete(int32_t result, uint32_t flags) = 0;

   protected:
    ~Completion() = default;
  };

  // queue_depth: submission queue entries. Fails with the errno of io_uring_setup
  // (for example ENOMEM or EPERM when io_uring is disabled).
  static Result<std::unique_ptr<EventLoop>> Create(unsigned queue_depth = 256);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Returns `count` free, zeroed SQEs in a row (submitting queued ones first when the
  // queue is short), so that linked operations are always submitted together.
  // Each returned SQE must be prepared and given a Completion before the next
  // call into the loop.
  void NextSqes(io_uring_sqe** out, unsigned count);
  io_uring_sqe* NextSqe() {
    io_uring_sqe* sqe;
    NextSqes(&sqe, 1);
    return sqe;
  }
  // Attaches `completion` to `sqe`; the loop calls it when the operation completes.
  void SetCompletion(io_uring_sqe* sqe, Completion* completion);

  // Queues `h` to be resumed on the next turn, after the ones queued before it.
  void Post(std::coroutine_handle<> h) { ready_.push_back(h); }

  // Awaitable that resumes the awaiting coroutine on the next turn.
  auto Yield() {
    struct Awaiter {
      EventLoop* loop;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) const { loop->Post(h); }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }

  // One turn: resumes every ready coroutine, submits queued SQEs and dispatches
  // the completions that arrived. When `may_block` and nothing is ready, waits for
  // at least one completion. Returns false when there was nothing to do at all
  // (no ready coroutine and no operation in flight).
  bool RunOnce(bool may_block);

  // Runs turns until `task` finished and returns its value. Aborts if the task waits
  // for something that can never arrive (no I/O in flight, nothing ready): a bug.
  template <typename T>
  T Run(Task<T> task) {
    task.Start();
    while (!task.done()) {
      MS_CHECK(RunOnce(/*may_block=*/true)) << "task is waiting for nothing; deadlock";
    }
    return task.TakeResult();
  }

  // Starts `task` and lets it run to its end on this loop; nobody awaits it.
  void Spawn(Task<void> task);

  // Operations submitted whose completion has not been dispatched yet.
  uint64_t in_flight() const { return in_flight_; }
  io_uring* ring() { return &ring_; }

 private:
  EventLoop() = default;
  void DispatchCompletions();
  void StashCompletions();
  // Appends every completion the ring holds to `into` and frees their slots.
  unsigned TakeCompletions(std::vector<io_uring_cqe>& into);

  io_uring ring_{};
  bool ring_ready_ = false;
  uint64_t in_flight_ = 0;  // prepared or submitted, completion not yet dispatched
  std::deque<std::coroutine_handle<>> ready_;
  std::vector<io_uring_cqe> reaped_;   // reused scratch space for one turn's completions
  std::vector<io_uring_cqe> stashed_;  // taken off the ring to make room, not yet dispatched
};

// Awaitable for one io_uring operation: `prep(sqe)` fills the SQE; co_await yields
// the raw completion result (a byte count or a negative errno).
template <typename Prep>
class UringOp : public EventLoop::Completion {
 public:
  UringOp(EventLoop& loop, Prep prep) : loop_(loop), prep_(std::move(prep)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    io_uring_sqe* sqe = loop_.NextSqe();
    prep_(sqe);
    loop_.SetCompletion(sqe, this);
  }
  int32_t await_resume() const noexcept { return result_; }
  void OnComplete(int32_t result, uint32_t) override {
    result_ = result;
    waiter_.resume();
  }

 private:
  EventLoop& loop_;
  Prep prep_;
  std::coroutine_handle<> waiter_;
  int32_t result_ = 0;
};

}  // namespace millstream
