// Byte views and an aligned, owned buffer. O_DIRECT needs buffers, file positions
// and lengths aligned to the device's logical block; kIoAlignment is what we use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>

#include "base/check.h"

namespace millstream {

using ConstBytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

// Alignment for O_DIRECT buffers, positions and sizes: 4 KiB covers every device
// with 512-byte or 4 KiB logical blocks.
inline constexpr size_t kIoAlignment = 4096;

constexpr uint64_t AlignDown(uint64_t v, uint64_t a) { return v - v % a; }
constexpr uint64_t AlignUp(uint64_t v, uint64_t a) { return AlignDown(v + a - 1, a); }

inline ConstBytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view AsStringView(ConstBytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// An owned buffer of `size` bytes whose start is aligned to kIoAlignment.
// Move-only; zero-filled on creation.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t size) : size_(size) {
    if (size == 0) return;
    data_ = static_cast<std::byte*>(std::aligned_alloc(kIoAlignment, AlignUp(size, kIoAlignment)));
    MS_CHECK(data_ != nullptr) << "out of memory allocating " << size << " bytes";
    std::memset(data_, 0, size);
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  MutableBytes span() { return {data_, size_}; }
  ConstBytes span() const { return {data_, size_}; }

 private:
  std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace millstream
