#include "fs/mapped_region.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

namespace strata::mapped_region {

namespace internal {
std::atomic<uint64_t> total_faults{0};
}  // namespace internal

namespace {

// Enough for every SST of several DBs with generous max_open_files; beyond it, reads use pread.
constexpr int kSlots = 8192;
// Slot::begin while the slot is being filled in.
constexpr uintptr_t kReserved = 1;

struct Slot {
  std::atomic<uintptr_t> begin{0};  // 0: free
  std::atomic<uintptr_t> end{0};
  std::atomic<uint32_t> faults{0};
};

Slot g_slots[kSlots];
std::atomic<int> g_next_slot{0};  // where the search for a free slot starts
struct sigaction g_previous;  // written once, before the handler is installed
uintptr_t g_page_size = 4096;
bool g_installed = false;
std::once_flag g_install_once;

// Replaces the page at page_start with a private page of zeros. A raw system call: the libc
// wrapper may be intercepted (sanitizers), and interceptors are not safe in a signal handler.
bool MapZeroPage(uintptr_t page_start) {
#if defined(__linux__) && defined(SYS_mmap)
  const long r = ::syscall(SYS_mmap, page_start, g_page_size, PROT_READ,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return r != -1;
#else
  void* r = ::mmap(reinterpret_cast<void*>(page_start), g_page_size, PROT_READ,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return r != MAP_FAILED;
#endif
}

// Hands a SIGBUS that is not ours to whoever would have had it.
void Forward(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0) {
    if (g_previous.sa_sigaction != nullptr) {
      g_previous.sa_sigaction(sig, info, context);
      return;
    }
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  const bool from_kernel = info != nullptr && info->si_code > 0;
  if (!from_kernel && g_previous.sa_handler == SIG_IGN) return;  // sent by kill(), ignored
  // The default action. For a faulting access, returning re-executes it and the signal comes
  // back with the default disposition: the process dies where it would have without us.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGBUS, &dfl, nullptr);
  if (!from_kernel) ::raise(SIGBUS);
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  // Only a fault raised by the kernel for an access carries a meaningful address.
  if (info != nullptr && info->si_code > 0) {
    const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (Slot& slot : g_slots) {
      const uintptr_t begin = slot.begin.load(std::memory_order_acquire);
      if (begin <= kReserved || addr < begin || addr >= slot.end.load(std::memory_order_relaxed)) {
        continue;
      }
      // Count first: a thread that reads the zero page (this one, or another touching the same
      // page after the replacement) must find the count raised when it checks afterwards.
      slot.faults.fetch_add(1, std::memory_order_seq_cst);
      internal::total_faults.fetch_add(1, std::memory_order_seq_cst);
      if (MapZeroPage(addr & ~(g_page_size - 1))) {
        errno = saved_errno;
        return;
      }
      break;  // cannot recover: the process dies as it would have
    }
  }
  errno = saved_errno;
  Forward(sig, info, context);
}

void Install() {
#if UINTPTR_MAX > 0xffffffffu
  const long page = ::sysconf(_SC_PAGESIZE);
  if (page <= 0) return;
  g_page_size = static_cast<uintptr_t>(page);
  struct sigaction action = {};
  action.sa_sigaction = OnSigbus;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  g_installed = ::sigaction(SIGBUS, &action, &g_previous) == 0;
#endif
  // 32-bit processes keep pread: address space is too scarce to map every table.
}

}  // namespace

int Register(const void* base, size_t size) {
  std::call_once(g_install_once, Install);
  if (!g_installed || base == nullptr || size == 0) return -1;
  const int start = g_next_slot.load(std::memory_order_relaxed);
  for (int i = 0; i < kSlots; i++) {
    const int index = (start + i) % kSlots;
    Slot& slot = g_slots[index];
    uintptr_t expected = 0;
    if (slot.begin.load(std::memory_order_relaxed) != 0 ||
        !slot.begin.compare_exchange_strong(expected, kReserved, std::memory_order_acq_rel)) {
      continue;
    }
    slot.faults.store(0, std::memory_order_relaxed);
    slot.end.store(reinterpret_cast<uintptr_t>(base) + size, std::memory_order_relaxed);
    slot.begin.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    g_next_slot.store((index + 1) % kSlots, std::memory_order_relaxed);
    return index;
  }
  return -1;
}

void Unregister(int slot) {
  if (slot >= 0 && slot < kSlots) g_slots[slot].begin.store(0, std::memory_order_release);
}

uint32_t Faulted(int slot) {
  internal::LoadFence();
  return g_slots[slot].faults.load(std::memory_order_relaxed);
}

}  // namespace strata::mapped_region
