// Arena: bump allocation for the memtable. Memory lives until the Arena is destroyed.
//
// Thread safety: Allocate/AllocateAligned need outside synchronization (the memtable has one
// writer at a time); MemoryUsage and AllocatedBytes may be called from any thread at any time.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace strata {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // REQUIRES: bytes > 0.
  char* Allocate(size_t bytes) {
    CountAllocated(bytes);
    if (bytes <= remaining_) {
      char* result = ptr_;
      ptr_ += bytes;
      remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }

  // Memory aligned to alignof(std::max_align_t). REQUIRES: bytes > 0.
  char* AllocateAligned(size_t bytes);

  // Approximate bytes held by the arena (blocks plus bookkeeping).
  size_t MemoryUsage() const { return memory_usage_.load(std::memory_order_relaxed); }

  // Bytes handed out by Allocate/AllocateAligned so far: what the contents occupy, independent of
  // how much of the last block is still unused. The memtable's flush trigger uses it.
  size_t AllocatedBytes() const { return allocated_.load(std::memory_order_relaxed); }

 private:
  // One writer: a relaxed load and store, no read-modify-write needed.
  void CountAllocated(size_t bytes) {
    allocated_.store(allocated_.load(std::memory_order_relaxed) + bytes,
                     std::memory_order_relaxed);
  }

  static constexpr size_t kBlockSize = 4096 * 16;

  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
  std::atomic<size_t> allocated_{0};
};

}  // namespace strata
