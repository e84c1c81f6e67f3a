#include "base/bucket_histogram.h"

#include <gtest/gtest.h>

namespace millstream {
namespace {

constexpr double kBounds[] = {1, 10, 100};

TEST(BucketHistogramTest, CountsAreCumulativeWithValuesOnABoundInThatBucket) {
  BucketHistogram h(kBounds);
  for (double v : {0.5, 1.0, 5.0, 10.0, 99.0, 1000.0}) h.Record(v);
  EXPECT_EQ(h.CumulativeCount(0), 2u);  // 0.5 and 1 (le="1")
  EXPECT_EQ(h.CumulativeCount(1), 4u);
  EXPECT_EQ(h.CumulativeCount(2), 5u);
  EXPECT_EQ(h.count(), 6u);  // +Inf holds everything
  EXPECT_DOUBLE_EQ(h.sum(), 1115.5);
}

TEST(BucketHistogramTest, MergeAddsCountsAndSums) {
  BucketHistogram a(kBounds), b(kBounds);
  a.Record(2);
  b.Record(2);
  b.Record(200);
  a.Merge(b);
  EXPECT_EQ(a.CumulativeCount(1), 2u);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_DOUBLE_EQ(a.sum(), 204);
}

}  // namespace
}  // namespace millstream
