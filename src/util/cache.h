// Cache: a sharded LRU cache with a byte budget, holding shared, immutable objects.
//
// Used as the block cache (key: table cache id + block offset, value: a parsed block, charge:
// its bytes) and by the table cache (key: file number, value: an open table, charge: 1).
// Values are std::shared_ptr<void>; an entry evicted while a reader holds its value stays alive
// until that reader drops it, so readers never see freed memory.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace strata {

class Cache {
 public:
  virtual ~Cache() = default;

  // Inserts (or replaces) key -> value with the given charge, evicting least recently used
  // entries while the total charge exceeds the capacity. An entry whose charge alone exceeds a
  // shard's capacity is not kept.
  virtual void Insert(std::string_view key, std::shared_ptr<void> value, size_t charge) = 0;
  // The value for key (marking it recently used), or null.
  virtual std::shared_ptr<void> Lookup(std::string_view key) = 0;
  virtual void Erase(std::string_view key) = 0;
  // A number unique within this cache object, to prefix keys of one owner (e.g. a table).
  virtual uint64_t NewId() = 0;
  // Sum of the charges of the entries held.
  virtual size_t TotalCharge() const = 0;
  virtual size_t Capacity() const = 0;
};

// capacity: total charge kept. shard_bits: log2 of the number of independently locked shards
// (-1 picks a default from the capacity).
std::shared_ptr<Cache> NewLRUCache(size_t capacity, int shard_bits = -1);

}  // namespace strata
