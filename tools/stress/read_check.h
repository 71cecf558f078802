// Checks of what a read returns against the oracle, shared by the live workers and the
// after-recovery verifier.
//
// A read of a key may return any state from the last one acknowledged before the read began
// (`lower`) up to the newest version handed out by the time it ended (`upper_version`): writes
// in flight during the read may or may not be visible, but nothing older than an acknowledged
// write, and nothing never written. When upper_version == lower.version() nothing was written
// to the key meanwhile and the check is exact. Readers that hold the key's stripe lock, or read
// through a snapshot whose state they captured, build exact bounds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/db.h"
#include "stress/expected_state.h"
#include "stress/random.h"

namespace strata::stress {

struct ReadBounds {
  KeyState lower;
  uint64_t upper_version = 0;

  static ReadBounds Exact(KeyState s) { return {s, s.version()}; }
  bool Allows(KeyState found) const;
  std::string ToString() const;
};

// Fails verification unless bounds allow found for key index. context names the operation.
void CheckRead(uint64_t index, const ReadBounds& bounds, KeyState found, std::string_view context);

// The state a value read for key index stands for; fails verification if the value is malformed
// or belongs to another key.
KeyState DecodeValue(uint64_t index, std::string_view value, std::string_view context);

// Reads key index with DB::Get: its state, or KeyState() (absent) for NotFound. Fails on any
// other status and on a malformed value.
KeyState ReadKey(DB* db, const ReadOptions& ro, uint64_t index, std::string_view context);

// One key an iterator returned, with the state its value stands for.
struct ScanEntry {
  uint64_t index;
  KeyState found;
  friend bool operator==(const ScanEntry&, const ScanEntry&) = default;
};

enum class Direction { kForward, kBackward };

// Walks it from its current position in direction dir, collecting the entries whose key index is
// in [lo, hi), in walk order. Stops at the end or at the first key outside the window, leaving
// the iterator there. Every key (the one outside the window too) must be a key of the oracle's
// key space, strictly ordered in the walk direction, with a well-formed value of a version
// already handed out. Fails on an iterator error status.
std::vector<ScanEntry> WalkWindow(Iterator* it, Direction dir, uint64_t lo, uint64_t hi,
                                  const ExpectedState& oracle, std::string_view context);

// Checks the entries a walk found in the window [lo, lo + bounds.size()) against per-key bounds:
// each key of the window either appears with an allowed state or is allowed to be absent.
void CheckWindow(uint64_t lo, const std::vector<ReadBounds>& bounds,
                 const std::vector<ScanEntry>& entries, std::string_view context);

// After a walk in direction dir over [lo, hi) that returned entries, turns the iterator around and
// walks back over the window: it must return the same entries in reverse order (an iterator
// reads one unchanging state).
void CheckReverseWalk(Iterator* it, Direction dir, uint64_t lo, uint64_t hi,
                      const std::vector<ScanEntry>& entries, const ExpectedState& oracle,
                      std::string_view context);

// Moves it back and forth at random, `steps` times, over the entries an earlier walk of the same
// iterator found in a window (in either order): every step must land on the neighbouring entry
// with the same value. Changes of direction are where iterators most often go wrong.
void CheckZigZag(Iterator* it, std::vector<ScanEntry> entries, Rng* rng, int steps,
                 const ExpectedState& oracle, std::string_view context);

// Positions it at the first key of the window [lo, hi) in direction dir (or wherever the window
// would begin if it is empty). use_edge uses SeekToFirst / SeekToLast when the window touches the
// edge of the key space.
void SeekWindowStart(Iterator* it, Direction dir, uint64_t lo, uint64_t hi, uint64_t num_keys,
                     bool use_edge);

}  // namespace strata::stress
