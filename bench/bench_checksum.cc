// Micro-benchmarks of the checksum that guards every persisted block and record (Checksum32) and
// of the in-memory hash behind bloom filters and cache sharding (Hash64), from key-sized inputs to
// large blocks.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "util/checksum.h"

namespace {

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

void BM_Checksum32(benchmark::State& state) {
  const std::string data = RandomBytes(static_cast<size_t>(state.range(0)));
  uint64_t seed = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(strata::Checksum32(data, seed++));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
// 16: a key; 116: a key-value record; 4 KiB: a data block; 64 KiB / 1 MiB: large blocks and
// WAL batches.
BENCHMARK(BM_Checksum32)->Arg(16)->Arg(116)->Arg(4096)->Arg(65536)->Arg(1 << 20);

void BM_Hash64(benchmark::State& state) {
  std::string data = RandomBytes(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    // Vary the input so the hash is recomputed, as for a stream of different keys.
    data[i++ % data.size()]++;
    benchmark::DoNotOptimize(strata::Hash64(data));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Hash64)->Arg(8)->Arg(16)->Arg(24)->Arg(64)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
