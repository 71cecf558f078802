// Micro-benchmarks of the merging iterator (src/iter/merging_iterator.h), which every DB read and
// compaction runs through: a full forward scan, a reverse scan, and random seeks, over a fixed
// number of entries spread across 1 to 64 sorted children (memtables, L0 files, levels).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "iter/merging_iterator.h"
#include "strata/comparator.h"

namespace {

constexpr int kEntries = 1 << 16;

// A sorted, in-memory child: binary-search seeks, so that the merge dominates the cost.
class SortedVectorIterator final : public strata::InternalIterator {
 public:
  SortedVectorIterator(const strata::Comparator* cmp,
                       const std::vector<std::pair<std::string, std::string>>* entries)
      : cmp_(cmp), entries_(entries), pos_(entries->size()) {}

  bool Valid() const override { return pos_ < entries_->size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = entries_->empty() ? 0 : entries_->size() - 1; }
  void Seek(std::string_view target) override {
    size_t lo = 0, hi = entries_->size();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (cmp_->Compare((*entries_)[mid].first, target) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    pos_ = lo;
  }
  void Next() override { pos_++; }
  void Prev() override { pos_ = pos_ == 0 ? entries_->size() : pos_ - 1; }
  std::string_view key() const override { return (*entries_)[pos_].first; }
  std::string_view value() const override { return (*entries_)[pos_].second; }
  strata::Status status() const override { return strata::Status::OK(); }
  bool IsKeyPinned() const override { return true; }

 private:
  const strata::Comparator* cmp_;
  const std::vector<std::pair<std::string, std::string>>* entries_;
  size_t pos_;
};

std::string UserKey(uint64_t n) {
  std::string key(16, '0');
  for (size_t i = key.size(); i > 0 && n > 0; i--, n /= 10)
    key[i - 1] = static_cast<char>('0' + n % 10);
  return key;
}

// kEntries internal keys dealt round-robin to `children` sorted runs, as if each run held
// every children-th key (the worst case for the heap: every Next switches child).
struct Fixture {
  explicit Fixture(int children) : icmp(strata::BytewiseComparator()), runs(children) {
    for (uint64_t i = 0; i < kEntries; i++) {
      std::string ikey;
      strata::AppendInternalKey(&ikey,
                                strata::ParsedInternalKey(UserKey(i), i + 1, strata::kTypeValue));
      runs[i % static_cast<uint64_t>(children)].emplace_back(std::move(ikey),
                                                             std::string(100, 'v'));
    }
  }

  std::unique_ptr<strata::InternalIterator> NewIterator() const {
    std::vector<std::unique_ptr<strata::InternalIterator>> children;
    for (const auto& run : runs) {
      children.push_back(std::make_unique<SortedVectorIterator>(&icmp, &run));
    }
    return strata::NewMergingIterator(&icmp, std::move(children));
  }

  strata::InternalKeyComparator icmp;
  std::vector<std::vector<std::pair<std::string, std::string>>> runs;
};

void BM_MergingScanForward(benchmark::State& state) {
  const Fixture fixture(static_cast<int>(state.range(0)));
  const std::unique_ptr<strata::InternalIterator> it = fixture.NewIterator();
  for (auto _ : state) {
    size_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->key().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kEntries);
}
BENCHMARK(BM_MergingScanForward)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Arg(64);

void BM_MergingScanReverse(benchmark::State& state) {
  const Fixture fixture(static_cast<int>(state.range(0)));
  const std::unique_ptr<strata::InternalIterator> it = fixture.NewIterator();
  for (auto _ : state) {
    size_t bytes = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) bytes += it->key().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kEntries);
}
BENCHMARK(BM_MergingScanReverse)->Arg(1)->Arg(4)->Arg(16);

void BM_MergingSeek(benchmark::State& state) {
  const Fixture fixture(static_cast<int>(state.range(0)));
  const std::unique_ptr<strata::InternalIterator> it = fixture.NewIterator();
  std::vector<std::string> targets;
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int i = 0; i < 1024; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    strata::InternalKey target(UserKey(x % kEntries), strata::kMaxSequenceNumber,
                               strata::kValueTypeForSeek);
    targets.emplace_back(target.Encode());
  }
  size_t i = 0;
  for (auto _ : state) {
    it->Seek(targets[i++ % targets.size()]);
    benchmark::DoNotOptimize(it->Valid());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MergingSeek)->Arg(1)->Arg(4)->Arg(16)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
