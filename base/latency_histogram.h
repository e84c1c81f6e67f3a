// LatencyHistogram: counts of durations (or any non-negative integer) in
// log-linear buckets, so that a percentile costs no sorting and no memory per
// sample. Each power of two is split into 32 equal buckets: a reported percentile
// is the upper bound of its bucket, at most 1/32 (about 3%) above the true value;
// values below 32 are exact. Used by the load generators (`millstream bench`,
// bench/peer_bench) to report ack latency p50/p99/p999.
//
// Not thread-safe: one owner records; Merge combines histograms of several owners.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "base/check.h"

namespace millstream {

class LatencyHistogram {
 public:
  void Record(uint64_t value) {
    ++counts_[BucketOf(value)];
    ++count_;
    max_ = std::max(max_, value);
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }

  // The smallest bucket bound at or below which a fraction `q` (0 < q <= 1) of
  // the recorded values lie, capped at the largest value recorded; 0 when empty.
  uint64_t Percentile(double q) const {
    MS_CHECK(q > 0 && q <= 1) << "percentile " << q;
    if (count_ == 0) return 0;
    // Rank of the sample wanted, 1-based, rounded up: p99 of 100 values is the 99th.
    auto rank = static_cast<uint64_t>(q * static_cast<double>(count_));
    if (static_cast<double>(rank) < q * static_cast<double>(count_)) ++rank;
    rank = std::max<uint64_t>(rank, 1);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperBound(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 5;  // 32 buckets per power of two
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

  static size_t BucketOf(uint64_t value) {
    if (value < kSub) return static_cast<size_t>(value);
    int shift = std::bit_width(value) - 1 - kSubBits;  // >= 0
    uint64_t sub = (value >> shift) & (kSub - 1);
    return static_cast<size_t>((static_cast<uint64_t>(shift) + 1) * kSub + sub);
  }
  // The largest value that falls into bucket `index`.
  static uint64_t UpperBound(size_t index) {
    if (index < kSub) return index;
    uint64_t shift = index / kSub - 1;
    uint64_t sub = index % kSub;
    uint64_t low = (kSub + sub) << shift;
    return low + ((uint64_t{1} << shift) - 1);
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace millstream
