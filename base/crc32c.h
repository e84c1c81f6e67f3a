// CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2. Uses the SSE4.2
// crc32 instruction, three streams interleaved for throughput on long inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace millstream {

// Continues a CRC-32C over `data`; start with crc = 0. Extend(Extend(0, a), b) equals
// the CRC of a followed by b.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

inline uint32_t Crc32c(std::span<const std::byte> data) {
  return Crc32cExtend(0, data.data(), data.size());
}

}  // namespace millstream
