#include "base/crc32c.h"

#include <nmmintrin.h>

#include <cstring>

namespace millstream {

namespace {

constexpr size_t kBlock = 4096;  // bytes per stream per round

// Raw CRC-32C state update (no pre/post inversion) with the crc32 instruction.
uint32_t Crc32cHardwareSerial(uint32_t crc, const uint8_t* p, size_t size);

// Multiplies a raw CRC state by x^(8*kBlock) modulo the polynomial: the operator
// that "appends kBlock zero bytes". It is linear, so a table per state byte is
// enough; used to combine the three interleaved streams.
struct ShiftTable {
  uint32_t table[4][256];
  ShiftTable() {
    static const uint8_t kZeros[kBlock] = {};
    for (int byte_index = 0; byte_index < 4; ++byte_index) {
      for (uint32_t v = 0; v < 256; ++v) {
        table[byte_index][v] = Crc32cHardwareSerial(v << (8 * byte_index), kZeros, kBlock);
      }
    }
  }
  uint32_t Shift(uint32_t crc) const {
    return table[0][crc & 0xff] ^ table[1][(crc >> 8) & 0xff] ^ table[2][(crc >> 16) & 0xff] ^
           table[3][crc >> 24];
  }
};


const ShiftTable& ShiftBlock() {
  static const ShiftTable table;
  return table;
}

uint32_t Crc32cHardwareSerial(uint32_t crc, const uint8_t* p, size_t size) {
  uint64_t c = crc;
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    size -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (size > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --size;
  }
  return c32;
}

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t state = ~crc;
  // The crc32 instruction has a latency of 3 cycles and a throughput of 1: three
  // independent streams keep the unit busy, then the states are combined.
  const ShiftTable& shift = ShiftBlock();
  while (size >= 3 * kBlock) {
    uint64_t a = state, b = 0, c = 0;
    const uint8_t* pa = p;
    const uint8_t* pb = p + kBlock;
    const uint8_t* pc = p + 2 * kBlock;
    for (size_t i = 0; i < kBlock; i += 8) {
      uint64_t wa, wb, wc;
      std::memcpy(&wa, pa + i, 8);
      std::memcpy(&wb, pb + i, 8);
      std::memcpy(&wc, pc + i, 8);
      a = _mm_crc32_u64(a, wa);
      b = _mm_crc32_u64(b, wb);
      c = _mm_crc32_u64(c, wc);
    }
    state = shift.Shift(shift.Shift(static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b)) ^
            static_cast<uint32_t>(c);
    p += 3 * kBlock;
    size -= 3 * kBlock;
  }
  return ~Crc32cHardwareSerial(state, p, size);
}

}  // namespace millstream
