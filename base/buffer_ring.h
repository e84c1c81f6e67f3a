// BufferRing: io_uring provided buffers for receives. A ring of equally sized
// buffers is registered with one EventLoop's ring under a group id; a multishot
// receive with IOSQE_BUFFER_SELECT takes a free buffer for each completion and
// names it in the completion's flags. The owner copies the bytes out and gives
// the buffer back with Return(). When every buffer is taken, a multishot receive
// ends with -ENOBUFS: the reader re-arms once buffers came back.
//
// Lifecycle: Create() on the loop's thread; destroyed on that thread after every
// receive that uses it has ended. One thread.
#pragma once

#include <cstdint>
#include <memory>

#include "base/bytes.h"
#include "base/event_loop.h"
#include "base/status.h"

namespace millstream {

class BufferRing {
 public:
  // `count` buffers (a power of two, at most 32768) of `buffer_bytes` each, in
  // buffer group `group` of `loop`. Fails with the kernel's errno (EINVAL on a
  // kernel without provided-buffer rings, before 5.19).
  static Result<std::unique_ptr<BufferRing>> Create(EventLoop& loop, uint16_t group, uint16_t count,
                                                    size_t buffer_bytes);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group() const { return group_; }

  // The id of the buffer a completion filled (its flags carry IORING_CQE_F_BUFFER).
  static uint16_t IdOf(uint32_t cqe_flags) {
    return static_cast<uint16_t>(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
  }
  // The first `size` bytes of buffer `id`, valid until Return(id).
  ConstBytes Data(uint16_t id, size_t size) const;
  // Hands buffer `id` back to the kernel for later receives.
  void Return(uint16_t id);

 private:
  BufferRing(EventLoop& loop, uint16_t group, uint16_t count, size_t buffer_bytes)
      : loop_(loop), group_(group), count_(count), buffer_bytes_(buffer_bytes) {}

  EventLoop& loop_;
  uint16_t group_;
  uint16_t count_;
  size_t buffer_bytes_;
  io_uring_buf_ring* ring_ = nullptr;  // shared with the kernel: page-aligned
  std::byte* buffers_ = nullptr;
  bool registered_ = false;
};

}  // namespace millstream
