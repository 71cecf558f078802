// Read errors of memory-mapped files, turned from a dead process into a Status.
//
// When the kernel cannot page in part of a file mapping (an I/O error of the device, or the file
// was truncated under the mapping), the access raises SIGBUS, which kills a process by default.
// The POSIX file system registers each SST mapping here. The first registration installs a
// SIGBUS handler that, for an address inside a registered mapping, replaces the page with a
// page of zeros (so the faulting access completes), counts the fault against the mapping and
// returns. Readers of the mapping call Faulted() after they have used the bytes they read: a
// non-zero count means what they read may be zeros instead of the file's bytes, and the read
// must fail with an IOError. A fault outside every registered mapping goes to the handler that
// was installed before (or to the default action: the process dies, as it would have).
//
// The handler uses only atomics and a raw mmap system call, so it is safe at any point of the
// interrupted thread. The registry has a fixed number of slots; when they are all taken,
// Register returns -1 and the caller reads the file with pread instead.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace strata::mapped_region {

namespace internal {

extern std::atomic<uint64_t> total_faults;

// Orders this thread's earlier loads from a mapping before the load of a fault count. GCC's
// ThreadSanitizer rejects thread fences; its builds (x86, where loads keep their order in
// hardware) need only keep the compiler from moving the loads.
inline void LoadFence() {
#if defined(__SANITIZE_THREAD__)
  std::atomic_signal_fence(std::memory_order_seq_cst);
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  std::atomic_signal_fence(std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_acquire);
#endif
#else
  std::atomic_thread_fence(std::memory_order_acquire);
#endif
}

}  // namespace internal

// Registers [base, base + size) and returns its slot, or -1 if every slot is taken (or the
// SIGBUS handler could not be installed).
int Register(const void* base, size_t size);

// Forgets the slot. Call before unmapping.
void Unregister(int slot);

// How many pages of the slot's mapping failed to page in (each now reads as zeros). Loads made
// by this thread before the call are complete when it reads the count.
uint32_t Faulted(int slot);

// Faults recovered in every mapping since the process started. A reader that saw this count
// unchanged since its last check of a mapping needs no per-mapping check: the fast path of
// hot loops. Ordered like Faulted() against this thread's earlier loads.
inline uint64_t TotalFaults() {
  internal::LoadFence();
  return internal::total_faults.load(std::memory_order_relaxed);
}

}  // namespace strata::mapped_region
