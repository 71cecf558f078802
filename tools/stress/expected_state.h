// ExpectedState: the oracle of strata_stress — what the DB must hold for every key — kept in a
// memory-mapped file so that it survives a kill -9 of the process.
//
// Why it survives: the file is mapped MAP_SHARED, so every store into it is a store into the
// kernel's page cache. Killing the process does not discard the page cache; the next process to
// map the file sees every store the killed one completed. (A machine crash could lose it, but this
// tool only simulates process crashes.)
//
// Per key the file holds four 64-bit words:
//   committed      the state the DB must have once no write of the key is in flight;
//   pending        the state a write in flight will produce, or 0 when none is in flight;
//   high           the highest version ever handed out for the key (versions only grow);
//   pending_batch  the id of the WriteBatch the pending write belongs to (0: a single write).
// A state packs a version and whether the key exists: (version << 1) | exists. A delete is a
// state with a new version and exists = 0, so every write, deletes included, is a new version.
//
// Write protocol (the caller holds the key's stripe lock, so one writer per key at a time):
//   BeginWrite (high, then pending) -> DB write returns ok -> FinishWrite (committed, then clear
//   pending). A crash anywhere leaves a state the recovery check can judge: with pending clear
//   the DB must hold committed exactly; with pending set it may hold committed or pending.
//
// Every word is read and written with atomic operations (std::atomic_ref): readers check values
// without taking the writer's lock, and a kill -9 can never leave a word half-written.
//
// Thread safety: all methods are safe to call concurrently; the protocol above is what makes the
// combined words meaningful.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "strata/status.h"
#include "stress/posix_file.h"

namespace strata::stress {

// The state of one key: a version and whether the key exists at that version.
class KeyState {
 public:
  constexpr KeyState() = default;
  static constexpr KeyState FromRaw(uint64_t raw) { return KeyState(raw); }
  static constexpr KeyState Put(uint64_t version) { return KeyState((version << 1) | 1); }
  static constexpr KeyState Deleted(uint64_t version) { return KeyState(version << 1); }

  constexpr uint64_t raw() const { return raw_; }
  constexpr uint64_t version() const { return raw_ >> 1; }
  constexpr bool exists() const { return (raw_ & 1) != 0; }
  // True if a read returning `found` is consistent with this state: the same version for a
  // present key, absence for a deleted (or never written) one.
  constexpr bool Matches(KeyState found) const {
    return exists() ? found.exists() && found.version() == version() : !found.exists();
  }
  std::string ToString() const;

  friend constexpr bool operator==(KeyState a, KeyState b) { return a.raw_ == b.raw_; }

 private:
  explicit constexpr KeyState(uint64_t raw) : raw_(raw) {}
  uint64_t raw_ = 0;
};

class ExpectedState {
 public:
  // Opens the oracle at path, creating it (all keys absent) if it does not exist. A file for fewer
  // keys is grown to num_keys (the new keys were never written, so absent is exact); a file for
  // more keys keeps its size: the extra keys are still verified. Takes an exclusive lock on the
  // file: two stress processes never share an oracle.
  static Status Open(const std::string& path, uint64_t num_keys,
                     std::unique_ptr<ExpectedState>* out);
  // Removes the oracle at path (ok if there is none).
  static Status Remove(const std::string& path);

  ~ExpectedState() = default;
  ExpectedState(const ExpectedState&) = delete;
  ExpectedState& operator=(const ExpectedState&) = delete;

  // Number of keys the file describes (>= the num_keys given to Open).
  uint64_t num_keys() const { return num_keys_; }

  KeyState Committed(uint64_t key) const { return KeyState::FromRaw(Load(key, kCommitted)); }
  KeyState Pending(uint64_t key) const { return KeyState::FromRaw(Load(key, kPending)); }
  bool HasPending(uint64_t key) const { return Load(key, kPending) != 0; }
  uint64_t PendingBatch(uint64_t key) const { return Load(key, kPendingBatch); }
  uint64_t High(uint64_t key) const { return Load(key, kHigh); }

  // REQUIRES: the caller holds key's stripe lock and no write of key is pending.
  // Allocates the key's next version.
  uint64_t NextVersion(uint64_t key) const { return High(key) + 1; }
  // REQUIRES: as above; target.version() == NextVersion(key).
  void BeginWrite(uint64_t key, KeyState target, uint64_t batch_id);
  // REQUIRES: the caller holds key's stripe lock and the DB acknowledged the pending write.
  void FinishWrite(uint64_t key);
  // After recovery, with no writer running: records that the DB holds `found` for key (which
  // must match committed or pending) and clears the pending marker.
  void Resolve(uint64_t key, KeyState found);

  // A new batch id, unique over the life of the file.
  uint64_t NewBatchId();
  // Counts acknowledged writes over the life of the file (for reports).
  void AddAcknowledged(uint64_t n);
  uint64_t acknowledged() const;
  // The number of stress processes that opened the file, this one included.
  uint64_t runs() const;

 private:
  enum Field : uint64_t { kCommitted = 0, kPending = 1, kHigh = 2, kPendingBatch = 3 };

  ExpectedState(UniqueFd fd, SharedMapping mapping, uint64_t num_keys)
      : fd_(std::move(fd)), mapping_(std::move(mapping)), num_keys_(num_keys) {}
  uint64_t* Word(uint64_t key, Field field) const;
  uint64_t Load(uint64_t key, Field field) const {
    return std::atomic_ref<uint64_t>(*Word(key, field)).load(std::memory_order_seq_cst);
  }
  void Store(uint64_t key, Field field, uint64_t v) {
    std::atomic_ref<uint64_t>(*Word(key, field)).store(v, std::memory_order_seq_cst);
  }
  std::atomic_ref<uint64_t> HeaderWord(size_t i) const;

  UniqueFd fd_;  // kept open to hold the flock
  SharedMapping mapping_;
  uint64_t num_keys_;
};

}  // namespace strata::stress
