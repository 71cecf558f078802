#include "bench/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace strata::bench {

namespace {

// Growth factor between consecutive bucket bounds: ~5% worst-case percentile error after
// interpolation, and about 290 buckets up to 2^63 ns.
constexpr double kGrowth = 1.1;

double Micros(double nanos) { return nanos / 1000.0; }

}  // namespace

const std::vector<uint64_t>& Histogram::Limits() {
  static const std::vector<uint64_t> limits = [] {
    std::vector<uint64_t> v;
    const auto cap = uint64_t{1} << 62;
    for (uint64_t limit = 1; limit < cap;) {
      v.push_back(limit);
      const auto grown = static_cast<uint64_t>(std::llround(static_cast<double>(limit) * kGrowth));
      limit = std::max(limit + 1, grown);
    }
    v.push_back(std::numeric_limits<uint64_t>::max());
    return v;
  }();
  return limits;
}

size_t Histogram::BucketFor(uint64_t nanos) {
  const std::vector<uint64_t>& limits = Limits();
  const auto it = std::upper_bound(limits.begin(), limits.end(), nanos);
  return it == limits.end() ? limits.size() - 1 : static_cast<size_t>(it - limits.begin());
}

Histogram::Histogram() : buckets_(Limits().size(), 0) {}

void Histogram::Clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
  sum_squares_ = 0;
}

void Histogram::Add(uint64_t nanos) {
  buckets_[BucketFor(nanos)]++;
  min_ = count_ == 0 ? nanos : std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  count_++;
  const auto v = static_cast<double>(nanos);
  sum_ += v;
  sum_squares_ += v * v;
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); i++) buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
}

double Histogram::Average() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

double Histogram::StdDev() const {
  if (count_ == 0) return 0.0;
  const auto n = static_cast<double>(count_);
  const double variance = (sum_squares_ * n - sum_ * sum_) / (n * n);
  return variance <= 0 ? 0.0 : std::sqrt(variance);
}

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0.0;
  const std::vector<uint64_t>& limits = Limits();
  const double threshold = static_cast<double>(count_) * std::clamp(p, 0.0, 100.0) / 100.0;
  double cumulative = 0;
  for (size_t b = 0; b < buckets_.size(); b++) {
    if (buckets_[b] == 0) continue;
    const auto in_bucket = static_cast<double>(buckets_[b]);
    if (cumulative + in_bucket >= threshold) {
      const double left = b == 0 ? 0.0 : static_cast<double>(limits[b - 1]);
      const double right = std::min(static_cast<double>(limits[b]), static_cast<double>(max_));
      const double fraction = (threshold - cumulative) / in_bucket;
      const double value = left + (right - left) * fraction;
      return std::clamp(value, static_cast<double>(min_), static_cast<double>(max_));
    }
    cumulative += in_bucket;
  }
  return static_cast<double>(max_);
}

std::string Histogram::PercentileLine() const {
  char line[200];
  std::snprintf(line, sizeof(line), "P50: %.2f P75: %.2f P99: %.2f P99.9: %.2f",
                Micros(Percentile(50)), Micros(Percentile(75)), Micros(Percentile(99)),
                Micros(Percentile(99.9)));
  return line;
}

std::string Histogram::ToString() const {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof(line),
                "Microseconds per op:\nCount: %llu  Average: %.4f  StdDev: %.2f\n",
                static_cast<unsigned long long>(count_), Micros(Average()), Micros(StdDev()));
  out.append(line);
  std::snprintf(line, sizeof(line), "Min: %.4f  Median: %.4f  Max: %.4f\n",
                Micros(static_cast<double>(Min())), Micros(Percentile(50)),
                Micros(static_cast<double>(max_)));
  out.append(line);
  out.append("Percentiles: " + PercentileLine() + "\n");
  out.append("------------------------------------------------------\n");
  if (count_ == 0) return out;
  const std::vector<uint64_t>& limits = Limits();
  const double total = static_cast<double>(count_);
  double cumulative = 0;
  for (size_t b = 0; b < buckets_.size(); b++) {
    if (buckets_[b] == 0) continue;
    const auto in_bucket = static_cast<double>(buckets_[b]);
    cumulative += in_bucket;
    const double left = b == 0 ? 0.0 : static_cast<double>(limits[b - 1]);
    const double right = b + 1 == buckets_.size() ? std::numeric_limits<double>::infinity()
                                                  : static_cast<double>(limits[b]);
    const double pct = 100.0 * in_bucket / total;
    std::snprintf(line, sizeof(line), "[ %12.3f, %12.3f ) %10llu %7.3f%% %8.3f%% ", Micros(left),
                  Micros(right), static_cast<unsigned long long>(buckets_[b]), pct,
                  100.0 * cumulative / total);
    out.append(line);
    out.append(static_cast<size_t>(std::lround(pct / 2.5)), '#');
    out.push_back('\n');
  }
  return out;
}

}  // namespace strata::bench
