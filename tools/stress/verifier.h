// The after-recovery check: compares a freshly opened DB, key by key, with the oracle.
//
// For every key of the oracle: with no write pending the DB must hold exactly the committed
// state; with a write pending (the process died while it was in flight) it may hold the
// committed or the pending state, nothing else. Keys of one pending WriteBatch must all show the
// old or all show the new state (a batch is atomic). A full forward scan and a full backward scan
// must agree exactly with the point reads. Nothing else may be in the DB.
//
// When everything agrees, the pending markers are resolved to what the DB holds, so the next run
// starts from an exact oracle.
#pragma once

#include <cstdint>
#include <string>

#include "strata/db.h"
#include "stress/expected_state.h"

namespace strata::stress {

struct VerifyResult {
  uint64_t keys = 0;             // keys checked
  uint64_t present = 0;          // keys the DB holds
  uint64_t pending = 0;          // keys with a write in flight at the crash
  uint64_t pending_applied = 0;  // ... which the DB holds
  uint64_t pending_batches = 0;  // distinct batches among the pending writes
  uint64_t lost = 0;             // acknowledged writes (or deletes) missing from the DB
  uint64_t wrong = 0;            // any other disagreement: wrong version, torn batch, scan mismatch
  bool ok() const { return lost == 0 && wrong == 0; }
  // "verify: keys=... present=... ... lost=0 wrong=0": one line, parsed by crash_test.sh.
  std::string ToString() const;
};

// Runs the check. Prints every problem (up to a limit) to stderr. If the check passes and
// resolve_pending is set, resolves the pending markers. Fails with an exit on a strata error.
VerifyResult VerifyDatabase(DB* db, ExpectedState* oracle, bool resolve_pending);

}  // namespace strata::stress
