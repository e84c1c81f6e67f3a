#include "base/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace millstream {
namespace {

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.99), 0u);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 20; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(0.5), 10u);
  EXPECT_EQ(h.Percentile(1.0), 20u);
  EXPECT_EQ(h.Percentile(0.01), 1u);
}

TEST(LatencyHistogramTest, PercentilesOfRandomValuesAreWithinThreePercent) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(12.0, 1.5);  // around 160 µs in ns, long tail
  LatencyHistogram h;
  std::vector<uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    uint64_t exact = values[static_cast<size_t>(q * values.size()) - 1];
    uint64_t reported = h.Percentile(q);
    EXPECT_GE(reported, exact) << "q=" << q;
    EXPECT_LE(static_cast<double>(reported), static_cast<double>(exact) * (1 + 1.0 / 32)) << "q=" << q;
  }
  EXPECT_EQ(h.Percentile(1.0), values.back());
}

TEST(LatencyHistogramTest, MergeAddsCountsAndKeepsTheMaximum) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 99; ++i) a.Record(1000);
  b.Record(1'000'000'000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_EQ(a.max(), 1'000'000'000u);
  EXPECT_LE(a.Percentile(0.99), 1000u * 33 / 32);
  EXPECT_EQ(a.Percentile(1.0), 1'000'000'000u);
}

TEST(LatencyHistogramTest, HugeValuesFitTheLastBuckets) {
  LatencyHistogram h;
  h.Record(UINT64_MAX);
  EXPECT_EQ(h.Percentile(1.0), UINT64_MAX);
}

}  // namespace
}  // namespace millstream
