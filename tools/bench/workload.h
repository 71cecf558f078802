// The workload generator of strata_bench, shared by every engine so that all of them see the
// same keys and values for the same flags and seed.
//
// Keys: the key number in decimal, zero-padded on the left to key_size bytes, so that byte order
// equals numeric order ("0000000000000042" for 42 with 16-byte keys). Missing keys (readmissing)
// are existing keys with a '.' appended: one byte longer, so they cannot exist, and they sort
// right after a real key, spread over the whole key range.
//
// Values: slices of a pool of random printable bytes in which every 100-byte stretch repeats a
// shorter random prefix, so that a compressor would shrink values to about compression_ratio of
// their size (the engines run without compression; the ratio only matters to estimate sizes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::bench {

// xoshiro256** seeded through splitmix64: fast, good enough statistically, and deterministic for
// a given seed on every platform. Not thread-safe: one per thread.
class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t Next64();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next64()) * n) >> 64);
  }

 private:
  uint64_t s_[4];
};

// A seed for one random stream, different for every (seed, benchmark name, position in the
// benchmark list, thread). The name matters for runs split over several invocations: overwrite
// must not replay the exact keys fillrandom wrote, nor readrandom read them in write order.
uint64_t StreamSeed(uint64_t seed, std::string_view benchmark, int benchmark_index, int thread_id);

// Number of decimal digits of n (1 for 0).
int DecimalDigits(uint64_t n);

// Writes key number n, zero-padded decimal, into out[0, key_size). Digits that do not fit are
// dropped from the left; callers check with DecimalDigits that they always fit.
void FormatKey(uint64_t n, size_t key_size, char* out);

// A reusable buffer holding one key of the benchmark's format.
class KeyBuffer {
 public:
  explicit KeyBuffer(size_t key_size) : key_size_(key_size), buf_(key_size + 1, '.') {}

  std::string_view Set(uint64_t n) {
    FormatKey(n, key_size_, buf_.data());
    return std::string_view(buf_.data(), key_size_);
  }
  // A key that cannot exist in the DB, sorting right after key n.
  std::string_view SetMissing(uint64_t n) {
    FormatKey(n, key_size_, buf_.data());
    buf_[key_size_] = '.';
    return std::string_view(buf_.data(), key_size_ + 1);
  }

 private:
  size_t key_size_;
  std::string buf_;
};

class ValueGenerator {
 public:
  ValueGenerator(double compression_ratio, size_t value_size, uint64_t seed);

  // The next value of len bytes (len <= the value_size given at construction). The view stays
  // valid for the generator's lifetime.
  std::string_view Next(size_t len);

 private:
  std::string pool_;
  size_t pos_ = 0;
};

}  // namespace strata::bench
