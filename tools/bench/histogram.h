// Latency histogram for strata_bench.
//
// Records durations in nanoseconds into log-spaced buckets (each about 10% wider than the one
// before), so that percentiles are accurate to a few percent from 1 ns to hours without storing
// every sample, and Add() costs a short binary search. Count, sum, sum of squares, min and max
// are kept exactly.
//
// Thread safety: none. Each benchmark thread owns one and the results are merged afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::bench {

class Histogram {
 public:
  Histogram();

  void Clear();
  void Add(uint64_t nanos);
  void Merge(const Histogram& other);

  uint64_t Count() const { return count_; }
  // All in nanoseconds; zero for an empty histogram.
  double Average() const;
  double StdDev() const;
  uint64_t Min() const { return count_ == 0 ? 0 : min_; }
  uint64_t Max() const { return max_; }
  // The p-th percentile (p in [0, 100]), interpolated linearly inside its bucket and clamped to
  // [Min(), Max()].
  double Percentile(double p) const;

  // Summary lines (count, average, stddev, min, percentiles, max) and the non-empty buckets,
  // all in microseconds.
  std::string ToString() const;
  // One line: "P50: a P75: b P99: c P99.9: d" in microseconds.
  std::string PercentileLine() const;

 private:
  // Upper bounds (exclusive) of the buckets, shared by every histogram.
  static const std::vector<uint64_t>& Limits();
  static size_t BucketFor(uint64_t nanos);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
  double sum_ = 0;
  double sum_squares_ = 0;
};

}  // namespace strata::bench
