#include "engine/shard.h"

#include "base/clock.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "storage/io/uring_file_system.h"

namespace millstream::engine {

Result<std::unique_ptr<Shard>> Shard::Create(int id, size_t queue_limit) {
  std::unique_ptr<Shard> shard(new Shard(id, queue_limit));
  ASSIGN_OR_RETURN(shard->loop_, EventLoop::Create(1024));
  shard->fs_ = std::make_unique<storage::io::UringFileSystem>(*shard->loop_);
  shard->flush_scheduler_ = std::make_unique<storage::FlushScheduler>(*shard->loop_, SystemClock::Instance());
  shard->wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (shard->wake_fd_ < 0) return StatusFromErrno(errno, "eventfd");
  return shard;
}

Shard::~Shard() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Shard::Start() { thread_ = std::thread([this] { Run(); }); }

bool Shard::Post(std::function<void()> work) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return false;
    // Back-pressure between shards: a full inbox blocks the sender (bounded queue),
    // unless the sender is this shard, which would wait for itself.
    if (!IsCurrent()) not_full_.wait(lock, [this] { return queue_.size() < queue_limit_ || stopping_; });
    queue_.push_back(std::move(work));
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // eventfd writes only fail when the counter would overflow: still awake
  return true;
}

void Shard::Drain() {
  std::deque<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    work.swap(queue_);
  }
  not_full_.notify_all();
  for (auto& item : work) item();
}

Task<void> Shard::Inbox() {
  while (true) {
    uint64_t count = 0;
    int fd = wake_fd_;
    auto prep = [fd, &count](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, &count, sizeof(count), 0); };
    int32_t n = co_await UringOp<decltype(prep)>(*loop_, prep);
    (void)n;
    Drain();
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && queue_.empty()) {
      stopped_ = true;
      co_return;
    }
  }
}

void Shard::Run() {
  loop_->Spawn(Inbox());
  while (!stopped_) loop_->RunOnce(true);
  // Operations still in flight (a cancelled timer, a last write) complete, and
  // whatever they make ready gets its turn.
  while (loop_->in_flight() > 0) loop_->RunOnce(true);
  while (loop_->RunOnce(false)) {
  }
}

void Shard::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !thread_.joinable()) {
      stopping_ = true;
      return;
    }
    stopping_ = true;
  }
  not_full_.notify_all();
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
  thread_.join();
}

}  // namespace millstream::engine
