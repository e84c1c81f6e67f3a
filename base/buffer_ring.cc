#include "base/buffer_ring.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "base/check.h"

namespace millstream {

Result<std::unique_ptr<BufferRing>> BufferRing::Create(EventLoop& loop, uint16_t group,
                                                       uint16_t count, size_t buffer_bytes) {
  if (count == 0 || (count & (count - 1)) != 0 || count > 32768) {
    return InvalidArgument("buffer ring size must be a power of two up to 32768, not " +
                           std::to_string(count));
  }
  std::unique_ptr<BufferRing> ring(new BufferRing(loop, group, count, buffer_bytes));
  void* memory = nullptr;
  if (posix_memalign(&memory, 4096, sizeof(io_uring_buf) * count) != 0) {
    return IoError("out of memory for a buffer ring");
  }
  ring->ring_ = static_cast<io_uring_buf_ring*>(memory);
  std::memset(memory, 0, sizeof(io_uring_buf) * count);
  if (posix_memalign(&memory, 4096, buffer_bytes * count) != 0) {
    return IoError("out of memory for receive buffers");
  }
  ring->buffers_ = static_cast<std::byte*>(memory);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring->ring_);
  reg.ring_entries = count;
  reg.bgid = group;
  if (int rc = io_uring_register_buf_ring(loop.ring(), &reg, 0); rc != 0) {
    return StatusFromErrno(-rc, "register a buffer ring of " + std::to_string(count) + " buffers");
  }
  ring->registered_ = true;
  io_uring_buf_ring_init(ring->ring_);
  for (uint16_t id = 0; id < count; ++id) {
    io_uring_buf_ring_add(ring->ring_, ring->buffers_ + size_t{id} * buffer_bytes,
                          static_cast<unsigned>(buffer_bytes), id, io_uring_buf_ring_mask(count), id);
  }
  io_uring_buf_ring_advance(ring->ring_, count);
  return ring;
}

BufferRing::~BufferRing() {
  if (registered_) io_uring_unregister_buf_ring(loop_.ring(), group_);
  free(ring_);
  free(buffers_);
}

ConstBytes BufferRing::Data(uint16_t id, size_t size) const {
  MS_CHECK(id < count_ && size <= buffer_bytes_) << "buffer " << id << " of " << count_;
  return ConstBytes(buffers_ + size_t{id} * buffer_bytes_, size);
}

void BufferRing::Return(uint16_t id) {
  MS_CHECK(id < count_);
  io_uring_buf_ring_add(ring_, buffers_ + size_t{id} * buffer_bytes_,
                        static_cast<unsigned>(buffer_bytes_), id, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(ring_, 1);
}

}  // namespace millstream
