// Micro-benchmarks of varint encoding and decoding (src/util/coding.h), which every block entry,
// WAL batch and MANIFEST record goes through. Arguments are the varint length in bytes, since the
// cost depends on it.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/coding.h"

namespace {

constexpr int kValues = 4096;

// kValues numbers that each encode to exactly `bytes` bytes (and fit in 32 bits if fit32), varied
// so that the branch predictor cannot learn one value.
std::vector<uint64_t> ValuesOfLength(int bytes, bool fit32 = false) {
  const uint64_t low = bytes == 1 ? 0 : uint64_t{1} << (7 * (bytes - 1));
  uint64_t span = bytes >= 10 ? ~uint64_t{0} - low : (uint64_t{1} << (7 * bytes)) - low;
  if (fit32) span = std::min(span, (uint64_t{1} << 32) - low);
  std::vector<uint64_t> values(kValues);
  uint64_t x = 88172645463325252ull;
  for (uint64_t& v : values) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = low + x % span;
  }
  return values;
}

void BM_EncodeVarint64(benchmark::State& state) {
  const std::vector<uint64_t> values = ValuesOfLength(static_cast<int>(state.range(0)));
  std::string out(kValues * strata::kMaxVarint64Bytes, '\0');
  for (auto _ : state) {
    char* p = out.data();
    for (const uint64_t v : values) p = strata::EncodeVarint64(p, v);
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kValues);
}
BENCHMARK(BM_EncodeVarint64)->Arg(1)->Arg(2)->Arg(3)->Arg(5)->Arg(10);

void BM_PutVarint32(benchmark::State& state) {
  const std::vector<uint64_t> values = ValuesOfLength(static_cast<int>(state.range(0)), true);
  std::string out;
  out.reserve(kValues * strata::kMaxVarint32Bytes);
  for (auto _ : state) {
    out.clear();
    for (const uint64_t v : values) strata::PutVarint32(&out, static_cast<uint32_t>(v));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kValues);
}
BENCHMARK(BM_PutVarint32)->Arg(1)->Arg(2)->Arg(3)->Arg(5);

std::string Encoded(int bytes, bool fit32 = false) {
  std::string encoded;
  for (const uint64_t v : ValuesOfLength(bytes, fit32)) strata::PutVarint64(&encoded, v);
  return encoded;
}

void BM_GetVarint64Ptr(benchmark::State& state) {
  const std::string encoded = Encoded(static_cast<int>(state.range(0)));
  const char* limit = encoded.data() + encoded.size();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const char* p = encoded.data(); p != nullptr && p < limit;) {
      uint64_t v = 0;
      p = strata::GetVarint64Ptr(p, limit, &v);
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kValues);
}
BENCHMARK(BM_GetVarint64Ptr)->Arg(1)->Arg(2)->Arg(3)->Arg(5)->Arg(10);

// The inline fast path used for the lengths in block entries (mostly one byte).
void BM_DecodeVarint32(benchmark::State& state) {
  const std::string encoded = Encoded(static_cast<int>(state.range(0)), true);
  const char* limit = encoded.data() + encoded.size();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const char* p = encoded.data(); p != nullptr && p < limit;) {
      uint32_t v = 0;
      p = strata::DecodeVarint32(p, limit, &v);
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kValues);
}
BENCHMARK(BM_DecodeVarint32)->Arg(1)->Arg(2)->Arg(3)->Arg(5);

void BM_GetVarint64(benchmark::State& state) {
  const std::string encoded = Encoded(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::string_view in(encoded);
    uint64_t sum = 0;
    uint64_t v = 0;
    while (strata::GetVarint64(&in, &v)) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kValues);
}
BENCHMARK(BM_GetVarint64)->Arg(1)->Arg(5)->Arg(10);

}  // namespace

BENCHMARK_MAIN();
