// Micro-benchmarks of SST blocks (src/sst/block.h, block_builder.h): seeks and scans through a
// BlockIter over internal keys, and building blocks. A data block of strata_bench's default
// entries (16-byte keys, 100-byte values) holds about 32 entries in 4 KiB; an index block holds
// hundreds of short entries, so both shapes are measured.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "sst/block.h"
#include "sst/block_builder.h"
#include "sst/format.h"
#include "strata/comparator.h"

namespace {

std::string UserKey(uint64_t n) {
  std::string key(16, '0');
  for (size_t i = key.size(); i > 0 && n > 0; i--, n /= 10) {
    key[i - 1] = static_cast<char>('0' + n % 10);
  }
  return key;
}

std::string InternalKeyFor(uint64_t n, strata::SequenceNumber seq) {
  std::string ikey;
  strata::AppendInternalKey(&ikey, strata::ParsedInternalKey(UserKey(n), seq, strata::kTypeValue));
  return ikey;
}

const strata::InternalKeyComparator* Icmp() {
  static const strata::InternalKeyComparator icmp(strata::BytewiseComparator());
  return &icmp;
}

// A block of `entries` internal keys (every other key number, so that half of the seek targets
// fall between keys) with values of value_size bytes.
struct BlockFixture {
  BlockFixture(int entries, size_t value_size, int restart_interval) {
    strata::BlockBuilder builder(restart_interval);
    const std::string value(value_size, 'v');
    for (int i = 0; i < entries; i++) {
      builder.Add(InternalKeyFor(2 * static_cast<uint64_t>(i), 1), value);
    }
    const std::string_view finished = builder.Finish();
    strata::BlockContents contents;
    contents.heap = std::make_unique<char[]>(finished.size());
    std::memcpy(contents.heap.get(), finished.data(), finished.size());
    contents.data = std::string_view(contents.heap.get(), finished.size());
    size = finished.size();
    block = std::make_unique<strata::Block>(std::move(contents));
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 1024; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      targets.push_back(
          InternalKeyFor(x % (2 * static_cast<uint64_t>(entries)), strata::kMaxSequenceNumber));
    }
  }

  size_t size = 0;
  std::unique_ptr<strata::Block> block;
  std::vector<std::string> targets;
};

// Args: entries, value size, restart interval.
void BM_BlockSeek(benchmark::State& state) {
  const BlockFixture f(static_cast<int>(state.range(0)), static_cast<size_t>(state.range(1)),
                       static_cast<int>(state.range(2)));
  strata::BlockIter it(Icmp(), f.block.get());
  size_t i = 0;
  for (auto _ : state) {
    it.Seek(f.targets[i++ % f.targets.size()]);
    benchmark::DoNotOptimize(it.Valid());
  }
  if (!it.status().ok()) state.SkipWithError(it.status().ToString().c_str());
  state.counters["block_bytes"] = static_cast<double>(f.size);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BlockSeek)
    ->Args({32, 100, 16})  // a 4 KiB data block
    ->Args({256, 8, 1})    // an index block: short values, a restart per entry
    ->Args({256, 8, 16})
    ->Args({1024, 100, 16});  // a 116 KiB block: far beyond the default block size

void BM_BlockScan(benchmark::State& state) {
  const int entries = static_cast<int>(state.range(0));
  const BlockFixture f(entries, static_cast<size_t>(state.range(1)), 16);
  strata::BlockIter it(Icmp(), f.block.get());
  for (auto _ : state) {
    size_t bytes = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next()) bytes += it.key().size() + it.value().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * entries);
}
BENCHMARK(BM_BlockScan)->Args({32, 100})->Args({1024, 100});

void BM_BlockScanReverse(benchmark::State& state) {
  const int entries = static_cast<int>(state.range(0));
  const BlockFixture f(entries, 100, 16);
  strata::BlockIter it(Icmp(), f.block.get());
  for (auto _ : state) {
    size_t bytes = 0;
    for (it.SeekToLast(); it.Valid(); it.Prev()) bytes += it.key().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * entries);
}
BENCHMARK(BM_BlockScanReverse)->Arg(32);

void BM_BlockBuild(benchmark::State& state) {
  const int entries = static_cast<int>(state.range(0));
  std::vector<std::string> keys;
  for (int i = 0; i < entries; i++) keys.push_back(InternalKeyFor(static_cast<uint64_t>(i), 1));
  const std::string value(100, 'v');
  strata::BlockBuilder builder(16);
  for (auto _ : state) {
    builder.Reset();
    for (const std::string& key : keys) builder.Add(key, value);
    benchmark::DoNotOptimize(builder.Finish().data());
  }
  state.SetItemsProcessed(state.iterations() * entries);
}
BENCHMARK(BM_BlockBuild)->Arg(32);

}  // namespace

BENCHMARK_MAIN();
