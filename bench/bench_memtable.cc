// Micro-benchmarks of the memtable (src/memtable/memtable.h): inserts in sequential and random
// key order, and point lookups that hit or miss, at several memtable sizes. Keys are 16 bytes and
// values 100 bytes, as in strata_bench's defaults.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "memtable/memtable.h"
#include "strata/comparator.h"
#include "strata/status.h"

namespace {

constexpr size_t kKeySize = 16;

std::string Key(uint64_t n) {
  std::string key(kKeySize, '0');
  for (size_t i = kKeySize; i > 0 && n > 0; i--, n /= 10) {
    key[i - 1] = static_cast<char>('0' + n % 10);
  }
  return key;
}

// 0..n-1 in a fixed pseudo-random order.
std::vector<uint64_t> Shuffled(uint64_t n) {
  std::vector<uint64_t> order(n);
  for (uint64_t i = 0; i < n; i++) order[i] = i;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint64_t i = n; i > 1; i--) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::swap(order[i - 1], order[x % i]);
  }
  return order;
}

const strata::InternalKeyComparator& Comparator() {
  static const strata::InternalKeyComparator icmp(strata::BytewiseComparator());
  return icmp;
}

// Inserts into memtables of up to range(0) entries; a full memtable is replaced, untimed, as the
// DB replaces a full one.
void AddBenchmark(benchmark::State& state, bool random_order) {
  const auto capacity = static_cast<uint64_t>(state.range(0));
  const std::vector<uint64_t> order = random_order ? Shuffled(capacity) : std::vector<uint64_t>();
  std::vector<std::string> keys(capacity);
  for (uint64_t i = 0; i < capacity; i++) keys[i] = Key(random_order ? order[i] : i);
  const std::string value(100, 'v');
  auto mem = std::make_unique<strata::MemTable>(Comparator());
  uint64_t i = 0;
  strata::SequenceNumber seq = 1;
  for (auto _ : state) {
    if (i == capacity) {
      state.PauseTiming();
      mem = std::make_unique<strata::MemTable>(Comparator());
      i = 0;
      state.ResumeTiming();
    }
    mem->Add(seq++, strata::kTypeValue, keys[i++], value);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kKeySize + value.size()));
}

void BM_MemTableAddSequential(benchmark::State& state) { AddBenchmark(state, false); }
BENCHMARK(BM_MemTableAddSequential)->Arg(1 << 16)->Arg(1 << 19);

void BM_MemTableAddRandom(benchmark::State& state) { AddBenchmark(state, true); }
BENCHMARK(BM_MemTableAddRandom)->Arg(1 << 16)->Arg(1 << 19);

// Looks up random keys in a memtable of range(0) entries holding the even key numbers; hits
// look up even numbers, misses odd ones (which fall between stored keys).
void GetBenchmark(benchmark::State& state, bool hit) {
  const auto entries = static_cast<uint64_t>(state.range(0));
  strata::MemTable mem(Comparator());
  const std::string value(100, 'v');
  strata::SequenceNumber seq = 1;
  for (const uint64_t n : Shuffled(entries)) mem.Add(seq++, strata::kTypeValue, Key(2 * n), value);
  std::vector<std::string> targets;
  for (const uint64_t n : Shuffled(entries)) {
    targets.push_back(Key(2 * n + (hit ? 0 : 1)));
    if (targets.size() == 4096) break;
  }
  std::string result;
  uint64_t found = 0;
  size_t i = 0;
  for (auto _ : state) {
    const strata::LookupKey lookup(targets[i++ % targets.size()], strata::kMaxSequenceNumber);
    strata::Status s;
    if (mem.Get(lookup, &result, &s) && s.ok()) found++;
  }
  benchmark::DoNotOptimize(found);
  if (hit && found != static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("a stored key was not found");
  if (!hit && found != 0) state.SkipWithError("an absent key was found");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_MemTableGetHit(benchmark::State& state) { GetBenchmark(state, true); }
BENCHMARK(BM_MemTableGetHit)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 19);

void BM_MemTableGetMiss(benchmark::State& state) { GetBenchmark(state, false); }
BENCHMARK(BM_MemTableGetMiss)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 19);

// A full scan through the memtable's iterator, per entry.
void BM_MemTableScan(benchmark::State& state) {
  const auto entries = static_cast<uint64_t>(state.range(0));
  strata::MemTable mem(Comparator());
  const std::string value(100, 'v');
  strata::SequenceNumber seq = 1;
  for (const uint64_t n : Shuffled(entries)) mem.Add(seq++, strata::kTypeValue, Key(n), value);
  const std::unique_ptr<strata::InternalIterator> it = mem.NewIterator();
  for (auto _ : state) {
    size_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->key().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(entries));
}
BENCHMARK(BM_MemTableScan)->Arg(1 << 16);

}  // namespace

BENCHMARK_MAIN();
