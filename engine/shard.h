// Shard: one thread with its own EventLoop and file system, owning a disjoint set
// of partitions (DESIGN.md, "Threading: shard per core"). Other threads hand it
// work through Post(), a bounded queue woken with an eventfd read that is always
// pending in the shard's ring; nothing else crosses threads.
//
// Lifecycle: constructed stopped → Start() runs the thread → Post() work → Stop()
// runs every queued item, then returns after the thread ended. Work posted after
// Stop() began is refused (Post returns false).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/event_loop.h"
#include "base/status.h"
#include "storage/flush_scheduler.h"
#include "storage/io/file_system.h"

namespace millstream::engine {

class Shard {
 public:
  // `queue_limit` bounds the inbox: Post blocks the caller while it is full.
  static Result<std::unique_ptr<Shard>> Create(int id, size_t queue_limit = 65536);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  int id() const { return id_; }
  // Valid on the shard's own thread only.
  EventLoop& loop() { return *loop_; }
  storage::io::FileSystem& fs() { return *fs_; }
  // The order of this shard's flushes by priority class (its partitions' logs).
  storage::FlushScheduler& flush_scheduler() { return *flush_scheduler_; }
  const storage::FlushScheduler& flush_scheduler() const { return *flush_scheduler_; }

  void Start();
  // Runs `work` on the shard's thread, after everything posted before it.
  bool Post(std::function<void()> work);
  // Drains the inbox, stops the thread; coroutines still suspended stay so.
  void Stop();
  // True on the shard's own thread.
  bool IsCurrent() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  Shard(int id, size_t queue_limit) : id_(id), queue_limit_(queue_limit) {}
  void Run();
  Task<void> Inbox();
  void Drain();

  const int id_;
  const size_t queue_limit_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<storage::io::FileSystem> fs_;
  std::unique_ptr<storage::FlushScheduler> flush_scheduler_;
  int wake_fd_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable not_full_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  bool stopped_ = false;                      // set by the shard thread
};

// Runs `work` (a coroutine factory) on `target` and resumes the awaiting coroutine
// on its own shard (`current`) with the result. When they are the same shard the
// work simply runs. The result type must be movable.
template <typename T>
class RunOnShard {
 public:
  RunOnShard(Shard& current, Shard& target, std::function<Task<T>()> work)
      : current_(current), target_(target), work_(std::move(work)) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    target_.Post([this] { target_.loop().Spawn(RunThere(this)); });
  }
  T await_resume() { return std::move(*result_); }

 private:
  static Task<void> RunThere(RunOnShard* self) {
    T value = co_await self->work_();
    self->result_.emplace(std::move(value));
    Shard& home = self->current_;
    std::coroutine_handle<> waiter = self->waiter_;
    home.Post([&home, waiter] { home.loop().Post(waiter); });
  }

  Shard& current_;
  Shard& target_;
  std::function<Task<T>()> work_;
  std::coroutine_handle<> waiter_;
  std::optional<T> result_;
};

// Runs `work` on `shard` from a thread that is not a shard (the HTTP server,
// tests) and blocks until it finished; nullopt when the shard no longer takes
// work (it is stopping). Never call it from a shard thread: a shard waiting for
// itself, or for a shard that waits for it, would never wake.
template <typename T>
std::optional<T> CallOnShard(Shard& shard, std::function<Task<T>(Shard&)> work) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> done = promise->get_future();
  bool posted = shard.Post([&shard, work = std::move(work), promise] {
    shard.loop().Spawn([](Shard& s, std::function<Task<T>(Shard&)> w,
                          std::shared_ptr<std::promise<T>> p) -> Task<void> {
      p->set_value(co_await w(s));
    }(shard, work, promise));
  });
  if (!posted) return std::nullopt;
  return done.get();
}

}  // namespace millstream::engine
