#include "util/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil.h"
#include "util/random.h"

namespace strata {
namespace {

std::shared_ptr<void> Value(int v) { return std::make_shared<int>(v); }

// -1 for a miss.
int Get(Cache* cache, std::string_view key) {
  std::shared_ptr<void> v = cache->Lookup(key);
  return v == nullptr ? -1 : *std::static_pointer_cast<int>(v);
}

TEST(CacheTest, HitAndMiss) {
  auto cache = NewLRUCache(100, 0);
  EXPECT_EQ(-1, Get(cache.get(), "a"));
  cache->Insert("a", Value(1), 1);
  EXPECT_EQ(1, Get(cache.get(), "a"));
  EXPECT_EQ(-1, Get(cache.get(), "b"));
  cache->Insert("b", Value(2), 1);
  EXPECT_EQ(1, Get(cache.get(), "a"));
  EXPECT_EQ(2, Get(cache.get(), "b"));
  // Binary keys, including an embedded NUL, are distinct keys.
  cache->Insert(std::string_view("a\0b", 3), Value(3), 1);
  EXPECT_EQ(3, Get(cache.get(), std::string_view("a\0b", 3)));
  EXPECT_EQ(1, Get(cache.get(), "a"));
  EXPECT_EQ(3u, cache->TotalCharge());
  EXPECT_EQ(100u, cache->Capacity());
}

TEST(CacheTest, InsertReplaces) {
  auto cache = NewLRUCache(100, 0);
  cache->Insert("a", Value(1), 10);
  cache->Insert("a", Value(2), 30);
  EXPECT_EQ(2, Get(cache.get(), "a"));
  EXPECT_EQ(30u, cache->TotalCharge());
}

TEST(CacheTest, EvictsLeastRecentlyUsed) {
  auto cache = NewLRUCache(3, 0);
  cache->Insert("a", Value(1), 1);
  cache->Insert("b", Value(2), 1);
  cache->Insert("c", Value(3), 1);
  EXPECT_EQ(1, Get(cache.get(), "a"));  // order of use now: b, c, a
  cache->Insert("d", Value(4), 1);      // evicts b
  EXPECT_EQ(-1, Get(cache.get(), "b"));
  EXPECT_EQ(3, Get(cache.get(), "c"));  // order: a, d, c
  cache->Insert("e", Value(5), 1);      // evicts a
  EXPECT_EQ(-1, Get(cache.get(), "a"));
  EXPECT_EQ(4, Get(cache.get(), "d"));
  EXPECT_EQ(3, Get(cache.get(), "c"));
  EXPECT_EQ(5, Get(cache.get(), "e"));
  EXPECT_EQ(3u, cache->TotalCharge());
}

TEST(CacheTest, ByteBudgetIsRespected) {
  for (const int shard_bits : {0, 2, 4}) {
    auto cache = NewLRUCache(10000, shard_bits);
    Random rnd(test::TestSeed());
    for (int i = 0; i < 5000; i++) {
      cache->Insert("key" + std::to_string(rnd.Uniform(2000)), Value(i), 1 + rnd.Uniform(300));
      ASSERT_LE(cache->TotalCharge(), 10000u) << shard_bits;
    }
    EXPECT_GT(cache->TotalCharge(), 5000u) << "the cache should be mostly full";
  }
}

TEST(CacheTest, HeavyEntryEvictsSeveralLightOnes) {
  auto cache = NewLRUCache(100, 0);
  for (int i = 0; i < 10; i++) cache->Insert("k" + std::to_string(i), Value(i), 10);
  cache->Insert("big", Value(99), 35);
  EXPECT_EQ(99, Get(cache.get(), "big"));
  for (int i = 0; i < 4; i++) EXPECT_EQ(-1, Get(cache.get(), "k" + std::to_string(i))) << i;
  for (int i = 4; i < 10; i++) EXPECT_EQ(i, Get(cache.get(), "k" + std::to_string(i))) << i;
  EXPECT_EQ(95u, cache->TotalCharge());
}

TEST(CacheTest, EntryLargerThanTheShardIsNotKept) {
  auto cache = NewLRUCache(100, 0);
  cache->Insert("a", Value(1), 50);
  cache->Insert("huge", Value(2), 101);
  EXPECT_EQ(-1, Get(cache.get(), "huge"));
  EXPECT_EQ(1, Get(cache.get(), "a"));  // nothing was evicted for it
  // Replacing a kept entry by one too large to keep removes the old value too.
  cache->Insert("a", Value(3), 1000);
  EXPECT_EQ(-1, Get(cache.get(), "a"));
  EXPECT_EQ(0u, cache->TotalCharge());
}

TEST(CacheTest, Erase) {
  auto cache = NewLRUCache(100, 0);
  cache->Erase("missing");
  cache->Insert("a", Value(1), 5);
  cache->Insert("b", Value(2), 7);
  cache->Erase("a");
  EXPECT_EQ(-1, Get(cache.get(), "a"));
  EXPECT_EQ(2, Get(cache.get(), "b"));
  EXPECT_EQ(7u, cache->TotalCharge());
  cache->Erase("a");
  EXPECT_EQ(7u, cache->TotalCharge());
}

// A value that counts its live instances.
struct Tracked {
  explicit Tracked(std::atomic<int>* live) : live(live) { live->fetch_add(1); }
  ~Tracked() { live->fetch_sub(1); }
  std::atomic<int>* live;
};

TEST(CacheTest, ValuesHeldByReadersSurviveEviction) {
  std::atomic<int> live{0};
  auto cache = NewLRUCache(2, 0);
  cache->Insert("a", std::make_shared<Tracked>(&live), 1);
  std::shared_ptr<void> held = cache->Lookup("a");
  ASSERT_NE(nullptr, held);
  cache->Insert("b", std::make_shared<Tracked>(&live), 1);
  cache->Insert("c", std::make_shared<Tracked>(&live), 1);  // evicts a
  EXPECT_EQ(nullptr, cache->Lookup("a"));
  EXPECT_EQ(3, live.load());  // a is still alive: we hold it
  EXPECT_EQ(&live, std::static_pointer_cast<Tracked>(held)->live);
  held.reset();
  EXPECT_EQ(2, live.load());
  cache->Erase("b");
  EXPECT_EQ(1, live.load());
  cache.reset();
  EXPECT_EQ(0, live.load());
}

TEST(CacheTest, NewIdIsUnique) {
  auto cache = NewLRUCache(10);
  std::set<uint64_t> ids;
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(ids.insert(cache->NewId()).second);
}

TEST(CacheTest, DefaultShardingKeepsTheCapacity) {
  for (const size_t capacity :
       {size_t{0}, size_t{1}, size_t{1000}, size_t{8} << 20, size_t{1} << 30}) {
    auto cache = NewLRUCache(capacity);
    EXPECT_EQ(capacity, cache->Capacity());
    for (int i = 0; i < 2000; i++) cache->Insert("k" + std::to_string(i), Value(i), 4096);
    EXPECT_LE(cache->TotalCharge(), capacity);
  }
}

TEST(CacheTest, ConcurrentUse) {
  auto cache = NewLRUCache(20000, 3);
  constexpr int kThreads = 4;
  constexpr int kOps = 50000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Random rnd(test::TestSeed() + t);
      for (int i = 0; i < kOps; i++) {
        const int k = static_cast<int>(rnd.Uniform(1000));
        const std::string key = "key" + std::to_string(k);
        switch (rnd.Uniform(10)) {
          case 0:
            cache->Erase(key);
            break;
          case 1:
          case 2:
            // Every value stored under a key encodes that key, so readers can check it.
            cache->Insert(key, Value(k), 1 + rnd.Uniform(100));
            break;
          default: {
            const int v = Get(cache.get(), key);
            if (v != -1 && v != k) wrong.fetch_add(1);
          }
        }
        if (cache->TotalCharge() > 20000) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, wrong.load());
  EXPECT_LE(cache->TotalCharge(), 20000u);
}

}  // namespace
}  // namespace strata
