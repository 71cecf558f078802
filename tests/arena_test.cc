#include "util/arena.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "testutil.h"

namespace strata {
namespace {

struct Allocation {
  char* ptr;
  size_t size;
  uint8_t pattern;
};

void Fill(const Allocation& a) {
  for (size_t i = 0; i < a.size; i++) a.ptr[i] = static_cast<char>(a.pattern + i * 31);
}

bool Intact(const Allocation& a) {
  for (size_t i = 0; i < a.size; i++) {
    if (a.ptr[i] != static_cast<char>(a.pattern + i * 31)) return false;
  }
  return true;
}

bool IsAligned(const char* p) {
  return reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t) == 0;
}

TEST(ArenaTest, EmptyUsesNoMemory) {
  Arena arena;
  EXPECT_EQ(0u, arena.MemoryUsage());
}

TEST(ArenaTest, SmallAllocationsAreContiguousWithinABlock) {
  Arena arena;
  char* a = arena.Allocate(10);
  char* b = arena.Allocate(20);
  EXPECT_EQ(a + 10, b);
  const size_t usage = arena.MemoryUsage();
  EXPECT_GE(usage, 30u);
  arena.Allocate(1);
  EXPECT_EQ(usage, arena.MemoryUsage()) << "a small allocation fits in the current block";
}

TEST(ArenaTest, LargeAllocationDoesNotAbandonCurrentBlock) {
  Arena arena;
  char* a = arena.Allocate(8);
  arena.Allocate(1 << 20);
  char* b = arena.Allocate(8);
  EXPECT_EQ(a + 8, b);
  EXPECT_GE(arena.MemoryUsage(), (1u << 20) + 16);
}

TEST(ArenaTest, RandomAllocationsKeepContentsAlignmentAndAccounting) {
  Random rnd(test::TestSeed());
  Arena arena;
  std::vector<Allocation> allocations;
  size_t requested = 0;
  size_t aligned_count = 0;
  size_t last_usage = 0;
  const int n = static_cast<int>(20000 * test::TestScale());
  for (int i = 0; i < n; i++) {
    size_t size;
    if (rnd.OneIn(500)) {
      size = 1 + rnd.Uniform(600000);  // often larger than a block
    } else if (rnd.OneIn(20)) {
      size = 1 + rnd.Uniform(20000);  // around the own-block threshold
    } else {
      size = 1 + rnd.Skewed(10);
    }
    const bool aligned = rnd.OneIn(3);
    char* p = aligned ? arena.AllocateAligned(size) : arena.Allocate(size);
    ASSERT_NE(nullptr, p);
    if (aligned) {
      ASSERT_TRUE(IsAligned(p)) << "allocation " << i << " of " << size << " bytes";
      aligned_count++;
    }
    allocations.push_back({p, size, static_cast<uint8_t>(i)});
    Fill(allocations.back());
    requested += size;

    const size_t usage = arena.MemoryUsage();
    ASSERT_GE(usage, last_usage) << "usage never shrinks";
    ASSERT_GE(usage, requested) << "usage covers every byte handed out";
    last_usage = usage;
  }
  // Waste is bounded: alignment slop, the abandoned tail of each block (less than a quarter of
  // it) and the unused part of the current block.
  const size_t slop = aligned_count * alignof(std::max_align_t);
  EXPECT_LE(last_usage, 2 * (requested + slop) + (64 << 10));
  for (size_t i = 0; i < allocations.size(); i++) {
    ASSERT_TRUE(Intact(allocations[i])) << "allocation " << i << " was overwritten";
  }
}

TEST(ArenaTest, AlignedAfterOddSizedAllocations) {
  Arena arena;
  for (size_t i = 1; i < 200; i++) {
    arena.Allocate(i);
    const char* p = arena.AllocateAligned(i);
    ASSERT_TRUE(IsAligned(p)) << i;
  }
}

}  // namespace
}  // namespace strata
