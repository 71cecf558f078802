// MemTable: the in-memory, sorted buffer of recent writes, backed by an arena and a concurrent
// skiplist.
//
// Entries are internal keys (user key, sequence, type) with values; an entry is never modified
// or removed, only shadowed by newer sequence numbers. Memory is released when the MemTable is
// destroyed; owners share it through std::shared_ptr (the DB, iterators, flush jobs).
//
// Thread safety: Add() needs outside synchronization (one writer at a time — the commit leader);
// Get(), NewIterator() and ApproximateMemoryUsage() may run concurrently with Add() and with
// each other, lock-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "strata/status.h"

namespace strata {

class MemTable {
 public:
  explicit MemTable(const InternalKeyComparator& comparator);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;
  ~MemTable();

  // Adds an entry. REQUIRES: no entry with the same (user key, sequence) exists; one writer at a
  // time.
  void Add(SequenceNumber seq, ValueType type, std::string_view user_key, std::string_view value);

  // Looks up key.user_key() as of key's sequence. If the newest visible entry is a value: sets
  // *value, *s = ok, returns true. If it is a deletion: *s = NotFound, returns true. If the
  // memtable holds no visible entry: returns false and leaves *value and *s alone.
  bool Get(const LookupKey& key, std::string* value, Status* s) const;

  // Iterates over the internal keys (key()) and values (value()) in internal-key order.
  // key() and value() point into the arena: they stay valid as long as the MemTable lives.
  // The caller keeps the MemTable alive for the iterator's lifetime.
  std::unique_ptr<InternalIterator> NewIterator() const;

  // Bytes of memory held (arena plus structures). Safe to call concurrently with Add().
  size_t ApproximateMemoryUsage() const;
  // Entries added so far.
  uint64_t NumEntries() const;
  // Deletion entries added so far.
  uint64_t NumDeletes() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace strata
