// ChunkReader: sequential scans of a file in large reads. It hands out byte ranges
// of the file, reading a megabyte (or more, for a larger range) at a time, so a
// scan of small batches costs one read per chunk instead of two per batch.
// A range returned stays valid until the next call to Get.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/task.h"
#include "storage/io/file_system.h"

namespace millstream::storage {

class ChunkReader {
 public:
  // `file` is borrowed; `file_size` bounds every read.
  ChunkReader(io::File& file, uint64_t file_size, size_t chunk = 1 << 20)
      : file_(file), file_size_(file_size), chunk_(chunk) {}

  // The bytes [pos, pos + n), or fewer where the file ends.
  Task<Result<ConstBytes>> Get(uint64_t pos, size_t n) {
    if (pos >= file_size_) co_return ConstBytes();
    n = std::min<uint64_t>(n, file_size_ - pos);
    if (pos < start_ || pos + n > start_ + buffer_.size()) {
      size_t want = std::min<uint64_t>(std::max(n, chunk_), file_size_ - pos);
      buffer_.resize(want);
      Status s = co_await io::ReadFully(file_, FilePos(pos), buffer_);
      if (!s.ok()) co_return s;
      start_ = pos;
      // A scan goes on where this chunk ends: have the next one read while the
      // caller works through this one.
      uint64_t next = pos + want;
      if (next < file_size_) file_.WillNeed(next, std::min<uint64_t>(chunk_, file_size_ - next));
    }
    co_return ConstBytes(buffer_.data() + (pos - start_), n);
  }

  uint64_t file_size() const { return file_size_; }

 private:
  io::File& file_;
  uint64_t file_size_;
  size_t chunk_;
  uint64_t start_ = 0;
  std::vector<std::byte> buffer_;
};

inline bool AllZero(ConstBytes b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

}  // namespace millstream::storage
