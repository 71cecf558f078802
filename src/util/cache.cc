#include "util/cache.h"

#include <atomic>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/checksum.h"
#include "util/mutex.h"

namespace strata {
namespace {

// One independently locked LRU list. Entries evicted or replaced are unlinked under the lock but
// destroyed after it is released: dropping the last reference to a value can be expensive (a
// Table closes its file), and must not stall other users of the shard.
class LRUShard {
 public:
  LRUShard() = default;
  LRUShard(const LRUShard&) = delete;
  LRUShard& operator=(const LRUShard&) = delete;

  void SetCapacity(size_t capacity) { capacity_ = capacity; }

  void Insert(std::string_view key, std::shared_ptr<void> value, size_t charge) {
    List garbage;  // declared before the lock: destroyed after it is released
    MutexLock lock(&mu_);
    Unlink(key, &garbage);
    if (charge > capacity_) return;
    lru_.push_front(Entry{std::string(key), std::move(value), charge});
    index_.emplace(lru_.front().key, lru_.begin());
    usage_ += charge;
    while (usage_ > capacity_) {
      Unlink(lru_.back().key, &garbage);
    }
  }

  std::shared_ptr<void> Lookup(std::string_view key) {
    MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);  // most recently used goes to the front
    return it->second->value;
  }

  void Erase(std::string_view key) {
    List garbage;
    MutexLock lock(&mu_);
    Unlink(key, &garbage);
  }

  size_t TotalCharge() const {
    MutexLock lock(&mu_);
    return usage_;
  }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<void> value;
    size_t charge;
  };
  using List = std::list<Entry>;

  // Moves the entry for key (if any) from the cache to *garbage.
  void Unlink(std::string_view key, List* garbage) REQUIRES(mu_) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    const List::iterator node = it->second;
    index_.erase(it);  // before the node moves: the map's key views the node's string
    usage_ -= node->charge;
    garbage->splice(garbage->end(), lru_, node);
  }

  mutable Mutex mu_;
  size_t capacity_ = 0;
  size_t usage_ GUARDED_BY(mu_) = 0;
  List lru_ GUARDED_BY(mu_);  // front: most recently used
  // Keys view the strings held by the list nodes, which never move while linked.
  std::unordered_map<std::string_view, List::iterator> index_ GUARDED_BY(mu_);
};

class ShardedLRUCache final : public Cache {
 public:
  ShardedLRUCache(size_t capacity, int shard_bits)
      : capacity_(capacity), shard_bits_(shard_bits), shards_(size_t{1} << shard_bits) {
    // Split the capacity exactly, so the shards together never hold more than capacity.
    const size_t n = shards_.size();
    for (size_t i = 0; i < n; i++) {
      shards_[i].SetCapacity(capacity / n + (i < capacity % n ? 1 : 0));
    }
  }

  void Insert(std::string_view key, std::shared_ptr<void> value, size_t charge) override {
    ShardFor(key).Insert(key, std::move(value), charge);
  }
  std::shared_ptr<void> Lookup(std::string_view key) override { return ShardFor(key).Lookup(key); }
  void Erase(std::string_view key) override { ShardFor(key).Erase(key); }
  uint64_t NewId() override { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  size_t TotalCharge() const override {
    size_t total = 0;
    for (const LRUShard& s : shards_) total += s.TotalCharge();
    return total;
  }
  size_t Capacity() const override { return capacity_; }

 private:
  LRUShard& ShardFor(std::string_view key) {
    if (shard_bits_ == 0) return shards_[0];
    return shards_[Hash64(key) >> (64 - shard_bits_)];
  }

  const size_t capacity_;
  const int shard_bits_;
  std::vector<LRUShard> shards_;
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
