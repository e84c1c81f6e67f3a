#include "base/varint.h"

#include <gtest/gtest.h>

namespace millstream {
namespace {

TEST(VarintTest, ZigzagRoundTripsEdgeValues) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{63}, int64_t{-64},
                    INT64_MAX, INT64_MIN}) {
    std::byte buf[10];
    size_t n = EncodeZigzag64(v, buf);
    const std::byte* p = buf;
    EXPECT_EQ(DecodeZigzag64(p, buf + n), v);
    EXPECT_EQ(p, buf + n);
  }
}

TEST(VarintTest, TruncatedInputFailsCleanly) {
  std::byte buf[10];
  size_t n = EncodeUvarint(300, buf);
  const std::byte* p = buf;
  EXPECT_FALSE(DecodeUvarint(p, buf + n - 1).has_value());
}

TEST(VarintTest, OverlongInputFails) {
  std::byte buf[6];
  for (auto& b : buf) b = std::byte{0xff};
  const std::byte* p = buf;
  EXPECT_FALSE(DecodeZigzag32(p, buf + 6).has_value());
}

}  // namespace
}  // namespace millstream
