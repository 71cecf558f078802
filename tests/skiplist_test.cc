#include "memtable/skiplist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "testutil.h"
#include "util/arena.h"
#include "util/coding.h"
#include "util/random.h"

namespace strata {
namespace {

struct U64Compare {
  int operator()(uint64_t a, uint64_t b) const { return a < b ? -1 : (a > b ? +1 : 0); }
};
using U64List = SkipList<uint64_t, U64Compare>;

// Byte-string keys kept in the node payload as fixed32(length) | bytes, as the memtable does with
// its entries.
std::string_view PayloadView(const char* p) { return {p + 4, DecodeFixed32(p)}; }

struct PayloadCompare {
  int operator()(const char* a, const char* b) const {
    return PayloadView(a).compare(PayloadView(b));
  }
  int operator()(const char* a, std::string_view probe) const {
    return PayloadView(a).compare(probe);
  }
};
using BytesList = SkipList<const char*, PayloadCompare>;

void InsertBytes(BytesList* list, std::string_view key) {
  list->InsertWithPayload(
      4 + key.size(),
      [key](char* p) -> const char* {
        EncodeFixed32(p, static_cast<uint32_t>(key.size()));
        if (!key.empty()) std::memcpy(p + 4, key.data(), key.size());
        return p;
      },
      key);
}

std::vector<uint64_t> ScanForward(const U64List& list) {
  std::vector<uint64_t> keys;
  U64List::Iterator it(&list);
  for (it.SeekToFirst(); it.Valid(); it.Next()) keys.push_back(it.key());
  return keys;
}

std::vector<uint64_t> ScanBackward(const U64List& list) {
  std::vector<uint64_t> keys;
  U64List::Iterator it(&list);
  for (it.SeekToLast(); it.Valid(); it.Prev()) keys.push_back(it.key());
  return keys;
}

TEST(SkipListTest, Empty) {
  Arena arena;
  U64List list(U64Compare(), &arena);
  EXPECT_FALSE(list.Contains(uint64_t{10}));
  EXPECT_FALSE(list.Contains(uint64_t{0}));

  U64List::Iterator it(&list);
  EXPECT_FALSE(it.Valid());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek(uint64_t{100});
  EXPECT_FALSE(it.Valid());
  it.Seek(uint64_t{0});
  EXPECT_FALSE(it.Valid());
}

TEST(SkipListTest, SingleKey) {
  Arena arena;
  U64List list(U64Compare(), &arena);
  list.Insert(7);
  EXPECT_TRUE(list.Contains(uint64_t{7}));
  EXPECT_FALSE(list.Contains(uint64_t{6}));
  EXPECT_FALSE(list.Contains(uint64_t{8}));

  U64List::Iterator it(&list);
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(7u, it.key());
  it.Next();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(7u, it.key());
  it.Prev();
  EXPECT_FALSE(it.Valid());
}

TEST(SkipListTest, SeekSemantics) {
  Arena arena;
  U64List list(U64Compare(), &arena);
  for (const uint64_t k : {20, 40, 60}) list.Insert(k);
  U64List::Iterator it(&list);

  it.Seek(uint64_t{5});  // before the first key
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(20u, it.key());
  it.Prev();
  EXPECT_FALSE(it.Valid());

  it.Seek(uint64_t{40});  // exact hit
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(40u, it.key());

  it.Seek(uint64_t{41});  // between keys
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(60u, it.key());
  it.Prev();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(40u, it.key());
  it.Prev();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(20u, it.key());

  it.Seek(uint64_t{61});  // past the last key
  EXPECT_FALSE(it.Valid());
  it.Seek(uint64_t{60});
  ASSERT_TRUE(it.Valid());
  it.Next();
  EXPECT_FALSE(it.Valid());
}

TEST(SkipListTest, RandomInsertsMatchStdSet) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  Arena arena;
  U64List list(U64Compare(), &arena);
  std::set<uint64_t> model;
  constexpr uint64_t kRange = 5000;
  for (int i = 0; i < 2000; i++) {
    const uint64_t k = rnd.Uniform(kRange);
    if (model.insert(k).second) list.Insert(k);
  }

  for (uint64_t k = 0; k < kRange + 2; k++) {
    ASSERT_EQ(model.count(k) == 1, list.Contains(k)) << k;
  }
  EXPECT_EQ(std::vector<uint64_t>(model.begin(), model.end()), ScanForward(list));
  EXPECT_EQ(std::vector<uint64_t>(model.rbegin(), model.rend()), ScanBackward(list));

  U64List::Iterator it(&list);
  for (uint64_t target = 0; target < kRange + 2; target++) {
    it.Seek(target);
    const auto expected = model.lower_bound(target);
    if (expected == model.end()) {
      ASSERT_FALSE(it.Valid()) << target;
      continue;
    }
    ASSERT_TRUE(it.Valid()) << target;
    ASSERT_EQ(*expected, it.key()) << target;
    // Step a few entries both ways and compare with the model.
    auto m = expected;
    for (int step = 0; step < 3 && m != model.begin(); step++) {
      --m;
      it.Prev();
      ASSERT_TRUE(it.Valid());
      ASSERT_EQ(*m, it.key());
    }
  }
}

TEST(SkipListTest, AscendingAndDescendingInsertOrder) {
  Arena arena;
  U64List ascending(U64Compare(), &arena);
  U64List descending(U64Compare(), &arena);
  constexpr uint64_t kN = 20000;
  for (uint64_t i = 0; i < kN; i++) {
    ascending.Insert(i);
    descending.Insert(kN - 1 - i);
  }
  std::vector<uint64_t> expected(kN);
  for (uint64_t i = 0; i < kN; i++) expected[i] = i;
  EXPECT_EQ(expected, ScanForward(ascending));
  EXPECT_EQ(expected, ScanForward(descending));
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(expected, ScanBackward(descending));
}

TEST(SkipListTest, PayloadKeysMatchStdSet) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  Arena arena;
  BytesList list(PayloadCompare(), &arena);
  std::set<std::string> model;
  InsertBytes(&list, "");  // the empty key is a key like any other
  model.insert("");
  for (int i = 0; i < 3000; i++) {
    // Short binary keys collide often, which exercises the "already present" path of the model.
    const std::string k = test::RandomBytes(&rnd, rnd.Uniform(rnd.OneIn(10) ? 300 : 4));
    if (model.insert(k).second) InsertBytes(&list, k);
  }
  std::vector<std::string> scanned;
  BytesList::Iterator it(&list);
  for (it.SeekToFirst(); it.Valid(); it.Next()) scanned.emplace_back(PayloadView(it.key()));
  EXPECT_EQ(std::vector<std::string>(model.begin(), model.end()), scanned);

  for (int i = 0; i < 2000; i++) {
    const std::string probe = test::RandomBytes(&rnd, rnd.Uniform(5));
    ASSERT_EQ(model.count(probe) == 1, list.Contains(std::string_view(probe)));
    it.Seek(std::string_view(probe));
    const auto expected = model.lower_bound(probe);
    if (expected == model.end()) {
      ASSERT_FALSE(it.Valid());
    } else {
      ASSERT_TRUE(it.Valid());
      ASSERT_EQ(*expected, PayloadView(it.key()));
    }
  }
}

TEST(SkipListTest, NodesComeFromTheArena) {
  Arena arena;
  U64List list(U64Compare(), &arena);
  const size_t before = arena.MemoryUsage();
  for (uint64_t i = 0; i < 100000; i++) list.Insert(i);
  const size_t used = arena.MemoryUsage() - before;
  // Key plus on average 4/3 links, plus alignment: about 32 bytes a node. Anything far beyond
  // that means a bloated node layout.
  EXPECT_GE(used, 100000u * 16);
  EXPECT_LE(used, 100000u * 40);
}

// ---- One writer, many readers ------------------------------------------------------------------

uint64_t Mix(uint64_t x) {  // a bijection, so distinct indexes give distinct key prefixes
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  x ^= x >> 33;
  return x;
}

// Key i: 8-byte big-endian Mix(i) (so keys arrive in random order) | fixed64(i) | filler of
// variable length derived from i. A reader can rebuild the whole key from the index it carries,
// so any torn or misplaced byte shows.
std::string ConcurrentKey(uint64_t i) {
  const uint64_t h = Mix(i);
  std::string key;
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(h >> shift));
  PutFixed64(&key, i);
  key.append(h % 24, static_cast<char>('a' + i % 26));
  return key;
}

// Returns the index a key claims, or -1 if the key is not exactly ConcurrentKey(index).
int64_t CheckedIndex(std::string_view key) {
  if (key.size() < 16) return -1;
  const uint64_t i = DecodeFixed64(key.data() + 8);
  if (i > (uint64_t{1} << 40) || ConcurrentKey(i) != key) return -1;
  return static_cast<int64_t>(i);
}

struct ConcurrentRound {
  Arena arena;
  BytesList list{PayloadCompare(), &arena};
  // Number of keys fully inserted; release by the writer, acquire by readers.
  std::atomic<uint64_t> published{0};
  std::atomic<bool> writer_done{false};
};

// Scans the whole list (forward or backward) and checks: strict order, no torn keys, and every
// key published before the scan began is present.
void CheckScan(const ConcurrentRound& round, bool forward, std::vector<char>* seen) {
  const uint64_t published_before = round.published.load(std::memory_order_acquire);
  std::fill(seen->begin(), seen->end(), 0);
  BytesList::Iterator it(&round.list);
  std::string previous;
  bool first = true;
  for (forward ? it.SeekToFirst() : it.SeekToLast(); it.Valid(); forward ? it.Next() : it.Prev()) {
    const std::string_view key = PayloadView(it.key());
    const int64_t index = CheckedIndex(key);
    ASSERT_GE(index, 0) << "torn or foreign key";
    ASSERT_LT(static_cast<size_t>(index), seen->size());
    if (!first) {
      ASSERT_TRUE(forward ? previous < key : key < previous) << "out of order";
    }
    ASSERT_FALSE((*seen)[static_cast<size_t>(index)]) << "key seen twice";
    (*seen)[static_cast<size_t>(index)] = 1;
    previous.assign(key);
    first = false;
  }
  for (uint64_t i = 0; i < published_before; i++) {
    ASSERT_TRUE((*seen)[i]) << "published key " << i << " missing from a "
                            << (forward ? "forward" : "backward") << " scan";
  }
}

// Seeks to published keys (must land on them) and to random probes (must land on the first key
// >= probe among those published, which Prev confirms).
void CheckSeeks(const ConcurrentRound& round, Random* rnd) {
  const uint64_t published = round.published.load(std::memory_order_acquire);
  BytesList::Iterator it(&round.list);
  for (int i = 0; i < 50; i++) {
    if (published > 0) {
      const std::string key = ConcurrentKey(rnd->Uniform(published));
      ASSERT_TRUE(round.list.Contains(std::string_view(key)));
      it.Seek(std::string_view(key));
      ASSERT_TRUE(it.Valid());
      ASSERT_EQ(key, PayloadView(it.key()));
    }
    const std::string probe = test::RandomBytes(rnd, 1 + rnd->Uniform(9));
    it.Seek(std::string_view(probe));
    if (!it.Valid()) continue;
    const std::string found(PayloadView(it.key()));
    ASSERT_GE(CheckedIndex(found), 0);
    ASSERT_GE(found, probe);
    it.Prev();
    if (!it.Valid()) continue;
    const std::string_view before = PayloadView(it.key());
    ASSERT_LT(before, found);
    // A key in [probe, found) may only have been inserted after the Seek began.
    if (before >= probe) {
      ASSERT_GE(CheckedIndex(before), static_cast<int64_t>(published)) << "Seek skipped a key";
    }
  }
}

void ReaderLoop(const ConcurrentRound& round, size_t capacity, uint64_t seed, int* passes) {
  Random rnd(seed);
  std::vector<char> seen(capacity);
  auto one_pass = [&] {
    const uint64_t action = rnd.Uniform(8);
    if (action < 3) {
      CheckScan(round, /*forward=*/true, &seen);
    } else if (action == 3) {
      CheckScan(round, /*forward=*/false, &seen);
    } else {
      CheckSeeks(round, &rnd);
    }
    ++*passes;
  };
  while (!round.writer_done.load(std::memory_order_acquire) && !testing::Test::HasFailure()) {
    one_pass();
  }
  // Once the writer is done every key must be visible.
  CheckScan(round, /*forward=*/true, &seen);
  CheckScan(round, /*forward=*/false, &seen);
}

TEST(SkipListTest, ConcurrentReadersSeeConsistentList) {
  constexpr int kReaders = 3;
  const auto keys_per_round = static_cast<uint64_t>(10000 * test::TestScale());
  const auto budget = std::chrono::milliseconds(static_cast<int>(2000 * test::TestScale()));
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  // Many short rounds rather than one long one: a young list, whose height is still growing, is
  // where a publication bug would show first.
  const auto start = std::chrono::steady_clock::now();
  int rounds = 0;
  int total_passes = 0;
  auto over_budget = [&] { return std::chrono::steady_clock::now() - start > budget; };
  while (rounds == 0 || !over_budget()) {
    ConcurrentRound round;
    std::vector<int> passes(kReaders, 0);
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; r++) {
      readers.emplace_back(ReaderLoop, std::cref(round), keys_per_round,
                           seed * 1000 + static_cast<uint64_t>(rounds * kReaders + r), &passes[r]);
    }
    for (uint64_t i = 0; i < keys_per_round; i++) {
      InsertBytes(&round.list, ConcurrentKey(i));
      round.published.store(i + 1, std::memory_order_release);
      if (i % 256 == 255) {
        // Slow builds (sanitizers) end the round early rather than run for minutes.
        if (over_budget()) break;
        std::this_thread::yield();  // let readers interleave on few cores
      }
    }
    round.writer_done.store(true, std::memory_order_release);
    for (auto& t : readers) t.join();
    ASSERT_FALSE(HasFailure()) << "round " << rounds;
    for (const int p : passes) total_passes += p;
    rounds++;
  }
  EXPECT_GT(total_passes, 0) << "readers never overlapped the writer";
  std::printf("%d rounds, %d reader passes during writes\n", rounds, total_passes);
}

}  // namespace
}  // namespace strata
