// What a strata_stress run does, decoupled from the command-line flags that fill it in.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::stress {

enum class SyncMode { kOff, kOn, kMixed };

// The most keys whose lock stripes one thread holds at once (a batch, a snapshot's window).
// ThreadSanitizer's deadlock detector tracks at most 64 locks held by one thread, the DB's own
// included.
inline constexpr int kMaxLockedKeys = 32;

struct StressOptions {
  int threads = 4;
  uint64_t duration_seconds = 30;  // 0: until killed (or ops_per_thread)
  uint64_t ops_per_thread = 0;     // 0: unlimited
  uint64_t keys = 10000;           // operations touch keys [0, keys)
  size_t value_size_max = 256;
  SyncMode sync = SyncMode::kOff;
  uint64_t seed = 1;

  // Operation mix, in percent; they add up to 100.
  int put_percent = 40;
  int delete_percent = 10;
  int batch_percent = 10;
  int get_percent = 25;
  int iterate_percent = 10;
  int snapshot_percent = 5;

  uint64_t flush_every = 0;    // a Flush every this many operations (all threads); 0: never
  uint64_t compact_every = 0;  // a CompactRange every this many operations; 0: never
  int batch_keys_max = 8;      // keys per WriteBatch: 2..this (<= kMaxLockedKeys)
  int scan_keys_max = 64;      // width of the key window an iterator check covers
  int snapshot_ops_max = 32;   // a snapshot is held for up to this many of its thread's ops
  bool verbose = false;
};

}  // namespace strata::stress
