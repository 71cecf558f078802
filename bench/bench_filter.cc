// Micro-benchmarks of the bloom filter (src/sst/filter.h): probes of keys that were added and of
// keys that were not (with the measured false-positive rate), and building filters, for tables of
// 10 Ki and 1 Mi keys (the latter larger than the CPU caches, as in a big SST).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sst/filter.h"

namespace {

std::string Key(uint64_t n) {
  std::string key(16, '0');
  for (size_t i = key.size(); i > 0 && n > 0; i--, n /= 10) {
    key[i - 1] = static_cast<char>('0' + n % 10);
  }
  return key;
}

// Keys 0, 2, 4, ... are added; odd numbers are absent.
std::unique_ptr<strata::BloomFilterReader> BuildFilter(uint64_t num_keys, int bits_per_key) {
  strata::BloomFilterBuilder builder(bits_per_key);
  for (uint64_t i = 0; i < num_keys; i++) builder.AddKey(Key(2 * i));
  const std::string encoded = builder.Finish();
  return strata::BloomFilterReader::Create(encoded);
}

std::vector<std::string> Probes(uint64_t num_keys, bool present) {
  std::vector<std::string> probes;
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int i = 0; i < 4096; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    probes.push_back(Key(2 * (x % num_keys) + (present ? 0 : 1)));
  }
  return probes;
}

// Args: keys in the filter, bits per key.
void ProbeBenchmark(benchmark::State& state, bool present) {
  const auto num_keys = static_cast<uint64_t>(state.range(0));
  const std::unique_ptr<strata::BloomFilterReader> filter =
      BuildFilter(num_keys, static_cast<int>(state.range(1)));
  if (filter == nullptr) {
    state.SkipWithError("the built filter did not parse");
    return;
  }
  const std::vector<std::string> probes = Probes(num_keys, present);
  uint64_t matches = 0;
  size_t i = 0;
  for (auto _ : state) matches += filter->KeyMayMatch(probes[i++ % probes.size()]) ? 1 : 0;
  if (present && matches != static_cast<uint64_t>(state.iterations())) {
    state.SkipWithError("an added key did not match");
  }
  if (!present) {
    state.counters["fp_rate_%"] =
        100.0 * static_cast<double>(matches) / static_cast<double>(state.iterations());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_BloomProbeHit(benchmark::State& state) { ProbeBenchmark(state, true); }
BENCHMARK(BM_BloomProbeHit)->Args({10000, 10})->Args({1 << 20, 10});

void BM_BloomProbeMiss(benchmark::State& state) { ProbeBenchmark(state, false); }
BENCHMARK(BM_BloomProbeMiss)->Args({10000, 10})->Args({1 << 20, 10})->Args({1 << 20, 16});

void BM_BloomBuild(benchmark::State& state) {
  const auto num_keys = static_cast<uint64_t>(state.range(0));
  std::vector<std::string> keys;
  for (uint64_t i = 0; i < num_keys; i++) keys.push_back(Key(i));
  for (auto _ : state) {
    strata::BloomFilterBuilder builder(10);
    for (const std::string& key : keys) builder.AddKey(key);
    benchmark::DoNotOptimize(builder.Finish().size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(num_keys));
}
BENCHMARK(BM_BloomBuild)->Arg(10000);

}  // namespace

BENCHMARK_MAIN();
