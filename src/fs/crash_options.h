// What a simulated machine crash keeps of the state that was never made durable.
//
// Shared by the two crash simulators: MemFileSystem::CrashClone (src/fs/mem_fs.h) and
// FaultInjectionFileSystem::SimulatePowerLoss (src/fs/fault_injection_fs.h). The defaults are the
// harshest outcome a correct program must survive: every unsynced byte and every directory change
// not covered by a SyncDir is lost. The other settings produce the less tidy states a real disk
// leaves behind (torn tails, zero-filled or garbage blocks, a few metadata changes that made it).
//
// Thread safety: plain values; the helpers are pure functions of their arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/random.h"

namespace strata {

struct CrashOptions {
  // How much of each file's unsynced tail (bytes appended after its last successful Sync)
  // survives.
  enum class UnsyncedData : unsigned char {
    kDrop,              // files end at their synced length
    kKeepRandomPrefix,  // a random-length prefix (empty to whole) of the tail survives, per file
    kKeepAll,           // the whole tail survives (the OS wrote it back in time)
  };
  // What the surviving unsynced bytes contain.
  enum class Fill : unsigned char {
    kAsWritten,  // the bytes that were written
    kZeros,      // zeros: the file grew but its blocks were never written
    kGarbage,    // random bytes: torn or misdirected writes
  };
  // Which directory changes (create, delete, rename) not covered by a SyncDir survive. Changes
  // of one directory survive in order: a kept change implies every earlier one of that
  // directory is kept too.
  enum class DirChanges : unsigned char {
    kUndo,              // none: each directory is as of its last SyncDir
    kKeepRandomPrefix,  // each directory keeps a random prefix of its unsynced changes
    kKeepAll,           // all of them
  };

  UnsyncedData unsynced_data = UnsyncedData::kDrop;
  Fill unsynced_fill = Fill::kAsWritten;
  DirChanges unsynced_dir_changes = DirChanges::kUndo;
  // Seeds every random choice: the same state and the same options give the same result.
  uint64_t seed = 0;

  // The defaults: only what was synced survives.
  static CrashOptions PowerLoss() { return CrashOptions(); }
  // The process died but the machine did not: everything handed to the OS survives (only data
  // still buffered inside the process is lost).
  static CrashOptions ProcessCrash() {
    CrashOptions o;
    o.unsynced_data = UnsyncedData::kKeepAll;
    o.unsynced_dir_changes = DirChanges::kKeepAll;
    return o;
  }
  // A randomly chosen mix of the settings above, derived from seed: for tests that loop over
  // seeds to explore many plausible post-crash states.
  static CrashOptions Randomized(uint64_t seed);
};

// The bytes of a file after a crash: `durable` followed by whatever `options` keep of
// `unsynced`. Draws from rnd only for the random settings.
std::string SurvivingBytes(std::string_view durable, std::string_view unsynced,
                           const CrashOptions& options, Random* rnd);

// How many of a directory's n unsynced changes (oldest first) survive a crash.
size_t SurvivingDirChanges(size_t n, const CrashOptions& options, Random* rnd);

}  // namespace strata
