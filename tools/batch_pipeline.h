// BatchPipeline: a second thread for the work that follows reading. Offline
// replay reads and verifies segments on the calling thread (I/O, CRC-32C, seal
// digests) and hands each batch here; the pipeline's thread decodes and hashes
// them (decompression, SHA-256), in the order they came, so the two halves run at
// once on two cores. The queue is bounded in bytes: Push blocks when the worker
// is behind.
//
// Lifecycle: constructed with the work to do per batch → Push ... → Drain (waits
// until everything pushed is done, returns the first error) → destroyed (joins).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace millstream::tools {

class BatchPipeline {
 public:
  using Work = std::function<Status(std::vector<std::byte> batch)>;

  explicit BatchPipeline(Work work, size_t max_queued_bytes = 64u << 20)
      : work_(std::move(work)), max_queued_bytes_(max_queued_bytes), thread_([this] { Run(); }) {}
  ~BatchPipeline() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // Queues a copy of `batch`; the first error the work returned so far, if any
  // (then nothing is queued: the caller stops).
  Status Push(ConstBytes batch) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return !error_.ok() || queued_bytes_ < max_queued_bytes_; });
    if (!error_.ok()) return error_;
    queue_.emplace_back(batch.begin(), batch.end());
    queued_bytes_ += batch.size();
    changed_.notify_all();
    return Status::Ok();
  }

  // Waits until everything pushed has been worked on; the first error.
  Status Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return !error_.ok() || (queue_.empty() && !busy_); });
    return error_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      changed_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing
      std::vector<std::byte> batch = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= batch.size();
      busy_ = true;
      lock.unlock();
      Status done = error_.ok() ? work_(std::move(batch)) : Status::Ok();
      lock.lock();
      busy_ = false;
      if (!done.ok() && error_.ok()) error_ = done;
      changed_.notify_all();
    }
  }

  Work work_;
  const size_t max_queued_bytes_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<std::byte>> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;                   // guarded by mu_
  bool busy_ = false;                         // guarded by mu_
  bool closing_ = false;                      // guarded by mu_
  Status error_;                              // guarded by mu_
  std::thread thread_;                        // last: started once the rest exists
};

}  // namespace millstream::tools
