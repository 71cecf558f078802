#include "util/cache.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "util/checksum.h"
#include "util/mutex.h"

namespace strata {
namespace {

// One cached entry. Entries are linked into their shard's hash chain and LRU ring intrusively,
// so a lookup touches the bucket array and the entries of one chain only, and an insert costs a
// single allocation. Keys up to kInlineKey bytes (every key strata uses) are stored inline.
struct Entry {
  static constexpr size_t kInlineKey = 24;

  Entry* next_in_chain = nullptr;
  Entry* lru_prev = nullptr;
  Entry* lru_next = nullptr;
  uint64_t hash = 0;
  size_t charge = 0;
  std::shared_ptr<void> value;
  uint32_t key_size = 0;
  char inline_key[kInlineKey];
  std::unique_ptr<char[]> long_key;  // keys longer than kInlineKey

  std::string_view key() const {
    return std::string_view(long_key ? long_key.get() : inline_key, key_size);
  }
};

// Entries unlinked under a shard's lock, chained through next_in_chain and destroyed after the
// lock is released: dropping the last reference to a value can be expensive (a Table closes its
// file) and must not stall other users of the shard. Costs no allocation.
class Garbage {
 public:
  Garbage() = default;
  Garbage(const Garbage&) = delete;
  Garbage& operator=(const Garbage&) = delete;
  ~Garbage() {
    while (head_ != nullptr) {
      Entry* next = head_->next_in_chain;
      delete head_;
      head_ = next;
    }
  }
  void Add(Entry* e) {
    e->next_in_chain = head_;
    head_ = e;
  }

 private:
  Entry* head_ = nullptr;
};

class LRUShard {
 public:
  LRUShard() {
    lru_.lru_prev = lru_.lru_next = &lru_;
    buckets_.assign(16, nullptr);
  }
  LRUShard(const LRUShard&) = delete;
  LRUShard& operator=(const LRUShard&) = delete;
  ~LRUShard() {
    Garbage garbage;
    MutexLock lock(&mu_);
    for (Entry* e = lru_.lru_next; e != &lru_;) {
      Entry* next = e->lru_next;
      garbage.Add(e);
      e = next;
    }
  }

  void SetCapacity(size_t capacity) { capacity_ = capacity; }

  void Insert(std::string_view key, uint64_t hash, std::shared_ptr<void> value, size_t charge) {
    if (charge > capacity_) {
      Erase(key, hash);
      return;
    }
    auto e = std::make_unique<Entry>();
    e->hash = hash;
    e->charge = charge;
    e->value = std::move(value);
    e->key_size = static_cast<uint32_t>(key.size());
    char* dst = e->inline_key;
    if (key.size() > Entry::kInlineKey) {
      e->long_key = std::make_unique_for_overwrite<char[]>(key.size());
      dst = e->long_key.get();
    }
    std::memcpy(dst, key.data(), key.size());

    Garbage garbage;  // declared before the lock: destroyed after it is released
    MutexLock lock(&mu_);
    if (Entry* old = Unlink(key, hash)) garbage.Add(old);
    Entry* raw = e.release();
    Entry** slot = &buckets_[hash & (buckets_.size() - 1)];
    raw->next_in_chain = *slot;
    *slot = raw;
    LinkFront(raw);
    usage_ += charge;
    if (++count_ > buckets_.size()) Grow();
    while (usage_ > capacity_) {
      Entry* victim = lru_.lru_prev;
      garbage.Add(Unlink(victim->key(), victim->hash));
    }
  }

  std::shared_ptr<void> Lookup(std::string_view key, uint64_t hash) {
    MutexLock lock(&mu_);
    Entry* e = *FindSlot(key, hash);
    if (e == nullptr) return nullptr;
    RemoveFromList(e);
    LinkFront(e);  // most recently used
    return e->value;
  }

  void Erase(std::string_view key, uint64_t hash) {
    Garbage garbage;
    MutexLock lock(&mu_);
    if (Entry* e = Unlink(key, hash)) garbage.Add(e);
  }

  size_t TotalCharge() const {
    MutexLock lock(&mu_);
    return usage_;
  }

 private:
  // The chain link that points at the entry for key, or at null where it would go.
  Entry** FindSlot(std::string_view key, uint64_t hash) REQUIRES(mu_) {
    Entry** slot = &buckets_[hash & (buckets_.size() - 1)];
    while (*slot != nullptr && ((*slot)->hash != hash || (*slot)->key() != key)) {
      slot = &(*slot)->next_in_chain;
    }
    return slot;
  }

  // Removes the entry for key from the chain and the LRU ring and returns it (null if absent).
  Entry* Unlink(std::string_view key, uint64_t hash) REQUIRES(mu_) {
    Entry** slot = FindSlot(key, hash);
    Entry* e = *slot;
    if (e == nullptr) return nullptr;
    *slot = e->next_in_chain;
    RemoveFromList(e);
    usage_ -= e->charge;
    count_--;
    return e;
  }

  void RemoveFromList(Entry* e) REQUIRES(mu_) {
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
  }

  void LinkFront(Entry* e) REQUIRES(mu_) {
    e->lru_next = lru_.lru_next;
    e->lru_prev = &lru_;
    lru_.lru_next->lru_prev = e;
    lru_.lru_next = e;
  }

  // Doubles the bucket array, keeping chains short (at most one entry per bucket on average).
  void Grow() REQUIRES(mu_) {
    std::vector<Entry*> grown(buckets_.size() * 2, nullptr);
    for (Entry* head : buckets_) {
      while (head != nullptr) {
        Entry* next = head->next_in_chain;
        Entry** slot = &grown[head->hash & (grown.size() - 1)];
        head->next_in_chain = *slot;
        *slot = head;
        head = next;
      }
    }
    buckets_.swap(grown);
  }

  mutable Mutex mu_;
  size_t capacity_ = 0;
  size_t usage_ GUARDED_BY(mu_) = 0;
  size_t count_ GUARDED_BY(mu_) = 0;
  Entry lru_ GUARDED_BY(mu_);  // ring sentinel: lru_next is the most recently used
  std::vector<Entry*> buckets_ GUARDED_BY(mu_);
};

class ShardedLRUCache final : public Cache {
 public:
  ShardedLRUCache(size_t capacity, int shard_bits)
      : capacity_(capacity),
        shard_bits_(shard_bits),
        shards_(std::make_unique<LRUShard[]>(size_t{1} << shard_bits)) {
    // Split the capacity exactly, so the shards together never hold more than capacity.
    const size_t n = size_t{1} << shard_bits;
    for (size_t i = 0; i < n; i++) {
      shards_[i].SetCapacity(capacity / n + (i < capacity % n ? 1 : 0));
    }
  }

  void Insert(std::string_view key, std::shared_ptr<void> value, size_t charge) override {
    const uint64_t hash = Hash64(key);
    ShardFor(hash).Insert(key, hash, std::move(value), charge);
  }
  std::shared_ptr<void> Lookup(std::string_view key) override {
    const uint64_t hash = Hash64(key);
    return ShardFor(hash).Lookup(key, hash);
  }
  void Erase(std::string_view key) override {
    const uint64_t hash = Hash64(key);
    ShardFor(hash).Erase(key, hash);
  }
  uint64_t NewId() override { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  size_t TotalCharge() const override {
    size_t total = 0;
    for (size_t i = 0; i < (size_t{1} << shard_bits_); i++) total += shards_[i].TotalCharge();
    return total;
  }
  size_t Capacity() const override { return capacity_; }

 private:
  // The top bits pick the shard; the bottom bits pick the bucket within it.
  LRUShard& ShardFor(uint64_t hash) {
    return shard_bits_ == 0 ? shards_[0] : shards_[hash >> (64 - shard_bits_)];
  }

  const size_t capacity_;
  const int shard_bits_;
  std::unique_ptr<LRUShard[]> shards_;
  std::atomic<uint64_t> next_id_{0};
};

// Shards of at least 512 KiB, at most 64 of them: more shards than that add memory and
// imbalance without reducing contention on a machine-sized number of threads.
int DefaultShardBits(size_t capacity) {
  constexpr size_t kMinShardCapacity = size_t{512} << 10;
  int bits = 0;
  while (bits < 6 && (capacity >> (bits + 1)) >= kMinShardCapacity) bits++;
  return bits;
}

}  // namespace

std::shared_ptr<Cache> NewLRUCache(size_t capacity, int shard_bits) {
  if (shard_bits < 0) shard_bits = DefaultShardBits(capacity);
  if (shard_bits > 20) shard_bits = 20;
  return std::make_shared<ShardedLRUCache>(capacity, shard_bits);
}

}  // namespace strata
