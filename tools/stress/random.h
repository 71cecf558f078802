// Deterministic pseudo-random numbers for strata_stress.
//
// The stress tool derives everything random (operation choice, keys, value sizes, value padding)
// from a seed so that a failing configuration can be rerun. Thread interleaving still differs
// between runs; the seed reproduces the workload, not the schedule.
#pragma once

#include <cstdint>

namespace strata::stress {

// A 64-bit finalizer with good avalanche: distinct inputs give unrelated outputs. Used both to
// seed generators and to derive per-key / per-version data without keeping any state.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A small, fast generator (a splitmix64 stream). Not thread-safe: one per thread.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(Mix64(seed)) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // Uniform in [0, n); n must be > 0. The modulo bias is irrelevant at the sizes used here.
  uint64_t Uniform(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi]; requires lo <= hi.
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Uniform(hi - lo + 1); }
  // True with probability 1/n.
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }
  // True with probability percent/100.
  bool Percent(uint64_t percent) { return Uniform(100) < percent; }

 private:
  uint64_t state_;
};

}  // namespace strata::stress
