#include "bench/workload.h"

#include <algorithm>

namespace strata::bench {

namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Values repeat within stretches of this many bytes, which sets how well they would compress.
constexpr size_t kStretch = 100;
// The pool is large enough that consecutive values rarely repeat within a memtable's worth of
// writes, small enough to stay in the CPU caches' neighbourhood.
constexpr size_t kMinPoolSize = size_t{1} << 20;

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& s : s_) s = SplitMix64(&state);
}

uint64_t Rng::Next64() {
  const uint64_t result = RotateLeft(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = RotateLeft(s_[3], 45);
  return result;
}

uint64_t StreamSeed(uint64_t seed, std::string_view benchmark, int benchmark_index, int thread_id) {
  uint64_t name_hash = 0xCBF29CE484222325ull;  // FNV-1a
  for (const char c : benchmark)
    name_hash = (name_hash ^ static_cast<uint8_t>(c)) * 0x100000001B3ull;
  uint64_t state = seed ^ name_hash;
  uint64_t mixed = SplitMix64(&state);
  mixed ^= static_cast<uint64_t>(benchmark_index) * 0xD1B54A32D192ED03ull;
  mixed ^= static_cast<uint64_t>(thread_id) * 0x8CB92BA72F3D8DD7ull;
  return mixed;
}

int DecimalDigits(uint64_t n) {
  int digits = 1;
  while (n >= 10) {
    n /= 10;
    digits++;
  }
  return digits;
}

void FormatKey(uint64_t n, size_t key_size, char* out) {
  for (size_t i = key_size; i > 0; i--) {
    out[i - 1] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
}

ValueGenerator::ValueGenerator(double compression_ratio, size_t value_size, uint64_t seed) {
  Rng rng(seed);
  const size_t pool_size = std::max(kMinPoolSize, 4 * value_size);
  const auto distinct = std::clamp<size_t>(
      static_cast<size_t>(static_cast<double>(kStretch) * compression_ratio), 1, kStretch);
  pool_.reserve(pool_size + kStretch);
  std::string stretch(kStretch, ' ');
  while (pool_.size() < pool_size) {
    for (size_t i = 0; i < distinct; i++) stretch[i] = static_cast<char>(' ' + rng.Uniform(95));
    for (size_t i = distinct; i < kStretch; i++) stretch[i] = stretch[i % distinct];
    pool_.append(stretch);
  }
}

std::string_view ValueGenerator::Next(size_t len) {
  if (pos_ + len > pool_.size()) pos_ = 0;
  const std::string_view value(pool_.data() + pos_, len);
  pos_ += len;
  return value;
}

}  // namespace strata::bench
