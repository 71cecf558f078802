// LockTable: striped locks that give each key a single writer at a time.
//
// Key k belongs to stripe k % stripes. A writer holds its key's stripe across the whole oracle
// write protocol (BeginWrite, the DB write, FinishWrite), so while a reader holds a stripe no
// write of its keys is in flight and the oracle's committed state is exactly the DB's. Several
// keys are locked in increasing stripe order, each stripe once, so lockers never deadlock.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

namespace strata::stress {

class LockTable {
 public:
  explicit LockTable(size_t stripes) : mutexes_(stripes) {}
  LockTable(const LockTable&) = delete;
  LockTable& operator=(const LockTable&) = delete;

  // Holds the stripes of a set of keys until destroyed.
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&&) noexcept = default;
    Guard& operator=(Guard&&) noexcept = default;

   private:
    friend class LockTable;
    std::vector<std::unique_lock<std::mutex>> locks_;
  };

  Guard LockKey(uint64_t key);
  Guard LockKeys(std::span<const uint64_t> keys);

 private:
  size_t StripeOf(uint64_t key) const { return key % mutexes_.size(); }

  std::vector<std::mutex> mutexes_;
};

}  // namespace strata::stress
