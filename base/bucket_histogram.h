// BucketHistogram: counts of values at or below fixed upper bounds, plus their
// count and sum: exactly what a Prometheus histogram exposes (cumulative `le`
// buckets, `_sum`, `_count`). Where LatencyHistogram answers percentiles for a
// load generator, this one is what the broker keeps for /metrics: a few dozen
// buckets fixed at construction, so a scrape is a copy, not a computation.
//
// Not thread-safe: one owner (a shard) records; a scrape copies it on that shard
// and merges the copies (Merge needs the same bounds).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "base/check.h"

namespace millstream {

class BucketHistogram {
 public:
  // `bounds` are increasing upper bounds; values above the last go to +Inf.
  explicit BucketHistogram(std::span<const double> bounds)
      : bounds_(bounds.begin(), bounds.end()), counts_(bounds.size() + 1, 0) {
    MS_CHECK(std::is_sorted(bounds_.begin(), bounds_.end())) << "bounds must increase";
  }

  void Record(double value) {
    size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    ++counts_[i];
    ++count_;
    sum_ += value;
  }

  void Merge(const BucketHistogram& other) {
    MS_CHECK(other.bounds_ == bounds_) << "merging histograms with different buckets";
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
  }

  const std::vector<double>& bounds() const { return bounds_; }
  // Values at or below bounds()[i] (cumulative, as Prometheus wants them).
  uint64_t CumulativeCount(size_t i) const {
    uint64_t total = 0;
    for (size_t j = 0; j <= i && j < counts_.size(); ++j) total += counts_[j];
    return total;
  }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // counts_[i]: in (bounds_[i-1], bounds_[i]]; last: above all
  uint64_t count_ = 0;
  double sum_ = 0;
};

// Bucket bounds shared by the broker's histograms.
// Seconds, from 50 µs (an fdatasync on a fast disk) to 10 s (a stalled device).
inline constexpr double kLatencySecondsBounds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                   0.0025,  0.005,  0.01,    0.025,  0.05,
                                                   0.1,     0.25,   0.5,     1,      2.5,
                                                   5,       10};
// Bytes, from one 4 KiB page to 64 MiB.
inline constexpr double kBytesBounds[] = {4096,    16384,    65536,    262144,
                                          1048576, 4194304,  16777216, 67108864};

}  // namespace millstream
