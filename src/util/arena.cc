#include "util/arena.h"

#include <cstdint>

namespace strata {

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // Large objects get a block of their own so the rest of the current block is not wasted.
    return AllocateNewBlock(bytes);
  }
  ptr_ = AllocateNewBlock(kBlockSize);
  remaining_ = kBlockSize;
  char* result = ptr_;
  ptr_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::AllocateAligned(size_t bytes) {
  CountAllocated(bytes);
  constexpr size_t kAlign = alignof(std::max_align_t);
  static_assert((kAlign & (kAlign - 1)) == 0, "alignment must be a power of two");
  const size_t mod = reinterpret_cast<uintptr_t>(ptr_) & (kAlign - 1);
  const size_t slop = mod == 0 ? 0 : kAlign - mod;
  const size_t needed = bytes + slop;
  if (needed <= remaining_) {
    char* result = ptr_ + slop;
    ptr_ += needed;
    remaining_ -= needed;
    return result;
  }
  // New blocks come from operator new[], which is max_align_t aligned.
  return AllocateFallback(bytes);
}

char* Arena::AllocateNewBlock(size_t bytes) {
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
  memory_usage_.fetch_add(bytes + sizeof(char*), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace strata
