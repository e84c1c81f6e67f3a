#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace millstream {
namespace {

uint32_t SoftwareCrc32c(const std::vector<uint8_t>& data) {
  uint32_t crc = ~0u;
  for (uint8_t b : data) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

TEST(Crc32cTest, MatchesKnownCheckValue) {
  // The standard check value of CRC-32C over "123456789".
  EXPECT_EQ(Crc32cExtend(0, "123456789", 9), 0xE3069283u);
}

TEST(Crc32cTest, MatchesBitwiseReferenceOnEveryLengthAroundTheBlockSize) {
  std::mt19937 rng(7);
  for (size_t len : {0, 1, 7, 8, 9, 4095, 12287, 12288, 12289, 40000, 100003}) {
    std::vector<uint8_t> data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    EXPECT_EQ(Crc32cExtend(0, data.data(), data.size()), SoftwareCrc32c(data)) << len;
  }
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  std::string a(5000, 'a'), b(30000, 'b');
  uint32_t joined = Crc32cExtend(0, (a + b).data(), a.size() + b.size());
  EXPECT_EQ(Crc32cExtend(Crc32cExtend(0, a.data(), a.size()), b.data(), b.size()), joined);
}

}  // namespace
}  // namespace millstream
