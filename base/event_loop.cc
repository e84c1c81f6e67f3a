#include "base/event_loop.h"

#include <cstring>

namespace millstream {

namespace {

// Runs a spawned task to its end and then frees its own frame.
struct DetachedTask {
  struct promise_type {
    DetachedTask get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    [[noreturn]] void unhandled_exception() const noexcept { std::terminate(); }
  };
};

DetachedTask RunDetached(Task<void> task) { co_await task; }

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::Create(unsigned queue_depth) {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  int rc = io_uring_queue_init(queue_depth, &loop->ring_, 0);
  if (rc < 0) return StatusFromErrno(-rc, "io_uring_queue_init");
  loop->ring_ready_ = true;
  return loop;
}

EventLoop::~EventLoop() {
  MS_CHECK(in_flight_ == 0) << "event loop destroyed with " << in_flight_
                            << " operations in flight";
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

void EventLoop::NextSqes(io_uring_sqe** out, unsigned count) {
  MS_CHECK(count <= ring_.sq.ring_entries);
  while (io_uring_sq_space_left(&ring_) < count) {
    // Submitting frees SQ slots; the kernel copies SQEs at submit time. It refuses
    // (EBUSY) while completions wait in its overflow list, and may take only some
    // entries (EAGAIN, or a short count): moving the completions aside, without
    // running anybody, makes room, and they are dispatched on the next turn.
    int rc = io_uring_submit(&ring_);
    MS_CHECK(rc >= 0 || rc == -EBUSY || rc == -EAGAIN || rc == -EINTR)
        << "io_uring_submit failed: " << std::strerror(-rc);
    if (io_uring_sq_space_left(&ring_) < count) StashCompletions();
  }
  for (unsigned i = 0; i < count; ++i) {
    out[i] = io_uring_get_sqe(&ring_);
    MS_CHECK(out[i] != nullptr);
    std::memset(out[i], 0, sizeof(io_uring_sqe));
  }
}

unsigned EventLoop::TakeCompletions(std::vector<io_uring_cqe>& into) {
  io_uring_cqe* cqe;
  unsigned head;
  unsigned seen = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    into.push_back(*cqe);
    ++seen;
  }
  io_uring_cq_advance(&ring_, seen);
  return seen;
}

void EventLoop::StashCompletions() {
  if (TakeCompletions(stashed_) == 0) {
    // Nothing to move aside yet: wait for the kernel to post at least one.
    io_uring_cqe* cqe;
    int rc = io_uring_wait_cqe(&ring_, &cqe);
    MS_CHECK(rc == 0 || rc == -EINTR || rc == -EAGAIN) << "io_uring_wait_cqe failed: " << std::strerror(-rc);
  }
}

void EventLoop::SetCompletion(io_uring_sqe* sqe, Completion* completion) {
  io_uring_sqe_set_data(sqe, completion);
  ++in_flight_;
}

bool EventLoop::RunOnce(bool may_block) {
  bool did_work = false;
  // Resume only the coroutines that were ready when the turn began; those they
  // post run on the next turn, so a coroutine that yields in a loop cannot starve I/O.
  for (size_t n = ready_.size(); n > 0; --n) {
    std::coroutine_handle<> h = ready_.front();
    ready_.pop_front();
    h.resume();
    did_work = true;
  }
  if (in_flight_ == 0) return did_work || !ready_.empty();
  unsigned wait_for = (may_block && ready_.empty() && !did_work && stashed_.empty()) ? 1 : 0;
  int rc = io_uring_submit_and_wait(&ring_, wait_for);
  // EINTR (a signal) and EBUSY (completion queue overflow pending) are retried next turn.
  MS_CHECK(rc >= 0 || rc == -EINTR || rc == -EBUSY || rc == -EAGAIN)
      << "io_uring_submit_and_wait failed: " << std::strerror(-rc);
  DispatchCompletions();
  return true;
}

void EventLoop::DispatchCompletions() {
  // Copy first, then dispatch: a resumed coroutine may submit new operations, which
  // must not interleave with walking the completion queue. (If that submission has
  // to make room, it moves completions to stashed_, never to reaped_.)
  reaped_.clear();
  reaped_.swap(stashed_);
  TakeCompletions(reaped_);
  for (const io_uring_cqe& c : reaped_) {
    auto* completion = static_cast<Completion*>(io_uring_cqe_get_data(&c));
    if (completion == nullptr) continue;
    // A multishot operation (sockets, later) keeps its completion until the last CQE.
    if ((c.flags & IORING_CQE_F_MORE) == 0) --in_flight_;
    completion->OnComplete(c.res, c.flags);
  }
}

void EventLoop::Spawn(Task<void> task) { RunDetached(std::move(task)); }

}  // namespace millstream
