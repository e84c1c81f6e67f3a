// Kafka's variable-length integers: unsigned LEB128 (compact lengths) and zigzag
// signed varints (record fields). Decoders bound-check and report truncation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace millstream {

// Decodes an unsigned LEB128 of at most `max_bytes` bytes from [p, end). Returns the
// value and advances p, or nullopt when the input ends early or the varint is too long.
inline std::optional<uint64_t> DecodeUvarint(const std::byte*& p, const std::byte* end,
                                             int max_bytes = 10) {
  uint64_t value = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (p >= end) return std::nullopt;
    auto b = static_cast<uint8_t>(*p++);
    value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return value;
  }
  return std::nullopt;
}

inline std::optional<int64_t> DecodeZigzag64(const std::byte*& p, const std::byte* end) {
  auto u = DecodeUvarint(p, end, 10);
  if (!u) return std::nullopt;
  return static_cast<int64_t>((*u >> 1) ^ (~(*u & 1) + 1));
}

inline std::optional<int32_t> DecodeZigzag32(const std::byte*& p, const std::byte* end) {
  auto u = DecodeUvarint(p, end, 5);
  if (!u || *u > 0xffffffffu) return std::nullopt;
  auto v = static_cast<uint32_t>(*u);
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Encodes into `out` (at least 10 bytes); returns the number of bytes written.
inline size_t EncodeUvarint(uint64_t v, std::byte* out) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<std::byte>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<std::byte>(v);
  return n;
}

inline size_t EncodeZigzag64(int64_t v, std::byte* out) {
  return EncodeUvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

}  // namespace millstream
