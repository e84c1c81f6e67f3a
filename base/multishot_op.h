// MultishotOp: one io_uring multishot operation (accept, or receive into
// provided buffers) whose completions queue up until its owner takes them, one
// at a time and in order. One submission serves many completions, so a busy
// listener or connection costs no submission per accept or per read.
//
// Lifecycle: Arm(prep) submits the operation; Next() yields its completions; the
// kernel ends it with a completion without IORING_CQE_F_MORE (an error, end of
// file, a shutdown, or -ENOBUFS when no provided buffer was left), after which
// armed() is false and Arm may be called again. The object must outlive the
// operation: destroy it only when !armed() (shut the socket down to end it).
// Owned by one task on one EventLoop's thread.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <utility>

#include "base/check.h"
#include "base/event_loop.h"

namespace millstream {

class MultishotOp final : public EventLoop::Completion {
 public:
  struct Cqe {
    int32_t result = 0;  // as for a single-shot operation: a count, an fd, or -errno
    uint32_t flags = 0;  // IORING_CQE_F_BUFFER (with the buffer id above bit 16), F_MORE
  };

  explicit MultishotOp(EventLoop& loop) : loop_(loop) {}
  ~MultishotOp() { MS_CHECK(!armed_) << "multishot operation destroyed while armed"; }
  MultishotOp(const MultishotOp&) = delete;
  MultishotOp& operator=(const MultishotOp&) = delete;

  // Submits the operation `prep` fills in. Precondition: !armed().
  template <typename Prep>
  void Arm(Prep prep) {
    MS_CHECK(!armed_);
    io_uring_sqe* sqe = loop_.NextSqe();
    prep(sqe);
    loop_.SetCompletion(sqe, this);
    armed_ = true;
  }

  // Asks the kernel to end the operation early; it then ends as it would anyway,
  // with a last completion (-ECANCELED, or whatever ended it first). Completions
  // already posted stay queued. The cancel's own completion is not waited for.
  // Precondition: armed().
  void Cancel() {
    MS_CHECK(armed_);
    io_uring_sqe* sqe = loop_.NextSqe();
    io_uring_prep_cancel(sqe, static_cast<EventLoop::Completion*>(this), 0);
    io_uring_sqe_set_data(sqe, nullptr);
  }

  bool armed() const { return armed_; }
  bool has_completion() const { return !queue_.empty(); }

  // Awaitable: the next completion. Precondition: armed() or has_completion(),
  // or it would wait for nothing.
  auto Next() {
    struct Awaiter {
      MultishotOp* op;
      bool await_ready() const noexcept { return !op->queue_.empty(); }
      void await_suspend(std::coroutine_handle<> h) {
        MS_CHECK(op->armed_) << "waiting on a multishot operation that has ended";
        op->waiter_ = h;
      }
      Cqe await_resume() {
        Cqe c = op->queue_.front();
        op->queue_.pop_front();
        return c;
      }
    };
    return Awaiter{this};
  }

  void OnComplete(int32_t result, uint32_t flags) override {
    queue_.push_back({result, flags});
    if ((flags & IORING_CQE_F_MORE) == 0) armed_ = false;
    if (waiter_) std::exchange(waiter_, {}).resume();
  }

 private:
  EventLoop& loop_;
  bool armed_ = false;
  std::deque<Cqe> queue_;
  std::coroutine_handle<> waiter_;
};

}  // namespace millstream
