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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "memtable/skiplist.h"
#include "strata/status.h"
#include "util/arena.h"

namespace strata {

class MemTable {
 public:
  // The user comparator inside `comparator` must outlive the MemTable; `comparator` itself need
  // not.
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

  // Bytes of memory held (arena blocks plus structures). Safe to call concurrently with Add().
  size_t ApproximateMemoryUsage() const;
  // Bytes the entries and their index occupy; what Options::write_buffer_size limits. Unlike
  // ApproximateMemoryUsage it does not jump by a whole arena block, so tiny write buffers work.
  size_t BufferedBytes() const { return arena_.AllocatedBytes(); }
  // Entries added so far.
  uint64_t NumEntries() const;
  // Deletion entries added so far.
  uint64_t NumDeletes() const;

 private:
  // A search target decoded once, so that each comparison during a search decodes only the
  // entry side.
  struct KeyProbe {
    // A key shorter than a tag (never valid) probes for the start of its bytes as a user key.
    static KeyProbe FromInternalKey(std::string_view internal_key);

    std::string_view user_key;
    uint64_t tag;
  };

  // Orders arena entries (see memtable.cc for the encoding) by internal key. A bytewise user
  // order is compared inline instead of through two virtual calls per comparison.
  class EntryComparator {
   public:
    explicit EntryComparator(const Comparator* user);
    int operator()(const char* a, const char* b) const;
    int operator()(const char* entry, const KeyProbe& probe) const;
    bool UserKeysEqual(std::string_view a, std::string_view b) const;

   private:
    int CompareUserKeys(std::string_view a, std::string_view b) const;

    const Comparator* user_;
    bool bytewise_;
  };

  using Table = SkipList<const char*, EntryComparator>;
  class Iterator;

  // Not behind a pimpl: Add and Get are the hot path, and the indirection would cost a dependent
  // load and a separate heap object for nothing (this header is internal).
  Arena arena_;
  Table table_;
  // Written only by the single writer; atomics so readers may ask concurrently.
  std::atomic<uint64_t> num_entries_{0};
  std::atomic<uint64_t> num_deletes_{0};
};

}  // namespace strata
