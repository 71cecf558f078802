// SkipList: the sorted index under the memtable. One writer at a time, any number of lock-free
// concurrent readers.
//
// Nodes are allocated from an Arena and never freed or moved while the list lives; that is what
// keeps lock-free reading simple: a reader can never hold a pointer to reclaimed memory. The
// Arena must outlive the list and every iterator over it.
//
// Thread safety: Insert/InsertWithPayload need outside synchronization (one writer at a time).
// Contains() and Iterator may run concurrently with the writer and with each other, without
// locks. A reader observes every key whose insertion happens-before the reader's call (e.g. the
// writer published "done with key k" with a release store that the reader read with acquire),
// and possibly keys being inserted concurrently; it never observes a partly built node.
//
// Template parameters:
//   Key      trivially copyable and destructible, alignment <= 8; copied into each node.
//   Compare  copyable; int operator()(const Key& a, const Key& b) const is a three-way
//            comparison. Searches (Contains, Iterator::Seek) take any Target for which
//            int operator()(const Key&, const Target&) const exists, so callers can search with
//            a pre-decoded probe instead of building a Key.
#pragma once

#include <atomic>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "util/arena.h"
#include "util/random.h"

namespace strata {

template <typename Key, class Compare>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;
  // Each node reaches the next level up with probability 1/kBranching.
  static constexpr int kBranching = 4;

  SkipList(Compare compare, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // REQUIRES: nothing equal to key is in the list; one writer at a time.
  void Insert(const Key& key) {
    const int height = RandomHeight();
    Node* node = NewNode(height, 0);
    node->key = key;
    LinkIn(node, height, key);
  }

  // Like Insert, but the node carries payload_size extra bytes right after its key. Calls
  // make_key(payload) — which fills the payload and returns the key, usually a view of the
  // payload — and inserts that key. One arena allocation instead of two, and a comparison reads
  // one cache line instead of chasing a pointer to another.
  // REQUIRES: as Insert; make_key must not touch the list.
  // probe is a pre-decoded form of the key (see Contains), so that the search for the insertion
  // point does not decode the new key at every comparison.
  template <typename MakeKey, typename Target>
  void InsertWithPayload(size_t payload_size, MakeKey&& make_key, const Target& probe) {
    const int height = RandomHeight();
    Node* node = NewNode(height, payload_size);
    node->key = std::forward<MakeKey>(make_key)(node->payload());
    LinkIn(node, height, probe);
  }

  template <typename Target>
  bool Contains(const Target& target) const {
    const Node* x = FindGreaterOrEqual(target, nullptr);
    return x != nullptr && compare_(x->key, target) == 0;
  }

  const Compare& compare() const { return compare_; }

  // A position in the list. Not thread-safe itself; many may run concurrently with the writer.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid(). The key lives as long as the list.
    const Key& key() const { return node_->key; }
    // REQUIRES: Valid().
    void Next() { node_ = node_->Next(0); }
    // REQUIRES: Valid(). Nodes have no back links: searches for the predecessor from the top.
    void Prev() { node_ = list_->NullIfHead(list_->FindLessThan(node_->key)); }
    // Positions at the first key >= target.
    template <typename Target>
    void Seek(const Target& target) {
      node_ = list_->FindGreaterOrEqual(target, nullptr);
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() { node_ = list_->NullIfHead(list_->FindLast()); }

   private:
    const SkipList* list_;
    const Node* node_ = nullptr;
  };

 private:
  using Link = std::atomic<Node*>;

  static_assert(std::is_trivially_copyable_v<Key> && std::is_trivially_destructible_v<Key>,
                "keys live in arena memory that is never destructed");
  static_assert(alignof(Key) <= alignof(Link), "a node is placed right after its tower");

  Node* NewNode(int height, size_t payload_size);
  int RandomHeight();
  int MaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  template <typename Target>
  void LinkIn(Node* node, int height, const Target& target);

  // First node >= target, or nullptr. If prev is non-null, fills prev[level] with the last node
  // < target on every level below the MaxHeight() the search started with.
  template <typename Target>
  Node* FindGreaterOrEqual(const Target& target, Node** prev) const;
  // Last node < key, or head_.
  Node* FindLessThan(const Key& key) const;
  // Last node, or head_ if the list is empty.
  Node* FindLast() const;
  const Node* NullIfHead(const Node* x) const { return x == head_ ? nullptr : x; }
  // A search step from x on `level` either moves right or descends to x's successor on the
  // level below. Each step waits for a cache miss, so start the miss of the descent now, while
  // the comparison with the right neighbour is under way. On memtables much larger than the cache
  // this made inserts and lookups measurably faster (docs/impl.md); a wasted prefetch
  // costs little.
  static void PrefetchDescent(const Node* x, int level) {
    if (level > 0) __builtin_prefetch(x->NextRelaxed(level - 1));
  }

  [[no_unique_address]] Compare compare_;
  Arena* const arena_;
  Node* const head_;
  // Height of the tallest node; read relaxed (see LinkIn for why that is enough).
  std::atomic<int> max_height_{1};
  Random rnd_{0xdecafbadULL};  // writer only
};

// A node's tower of next pointers sits immediately below the Node object in memory: level i is
// at byte offset -(i + 1) * sizeof(Link). Level 0, which every search ends on, is therefore
// adjacent to the key (and to the payload after it), and no space is reserved for levels the
// node does not have.
template <typename Key, class Compare>
struct SkipList<Key, Compare>::Node {
  Key key;

  char* payload() { return reinterpret_cast<char*>(this) + sizeof(Node); }

  Link* Tower(int level) {
    assert(level >= 0 && level < kMaxHeight);
    char* self = reinterpret_cast<char*>(this);
    return std::launder(reinterpret_cast<Link*>(self - (level + 1) * sizeof(Link)));
  }
  const Link* Tower(int level) const { return const_cast<Node*>(this)->Tower(level); }
  // Acquire pairs with the release in SetNext: whoever sees a node sees its key, payload and
  // lower links as they were written before it was linked in.
  Node* Next(int level) const { return Tower(level)->load(std::memory_order_acquire); }
  void SetNext(int level, Node* x) { Tower(level)->store(x, std::memory_order_release); }
  // Only for the writer, for a node no reader can reach yet, or where the result is merely a
  // hint (a prefetch address).
  Node* NextRelaxed(int level) const { return Tower(level)->load(std::memory_order_relaxed); }
  void SetNextRelaxed(int level, Node* x) { Tower(level)->store(x, std::memory_order_relaxed); }
};

template <typename Key, class Compare>
SkipList<Key, Compare>::SkipList(Compare compare, Arena* arena)
    : compare_(std::move(compare)), arena_(arena), head_(NewNode(kMaxHeight, 0)) {
  head_->key = Key{};  // never compared
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::NewNode(int height,
                                                                       size_t payload_size) {
  const size_t tower_size = sizeof(Link) * static_cast<size_t>(height);
  char* const mem = arena_->AllocateAligned(tower_size + sizeof(Node) + payload_size);
  for (int i = 0; i < height; i++) {
    new (mem + tower_size - (i + 1) * sizeof(Link)) Link(nullptr);
  }
  return new (mem + tower_size) Node;
}

template <typename Key, class Compare>
int SkipList<Key, Compare>::RandomHeight() {
  static_assert(kBranching == 4, "two random bits per level");
  // Every pair of trailing zero bits is one more level (probability 1/4 each). The high bits of
  // xorshift64* are the good ones; the sentinel bit caps the height at kMaxHeight.
  constexpr uint64_t kCap = uint64_t{1} << (2 * (kMaxHeight - 1));
  const uint64_t bits = (rnd_.Next64() >> 32) | kCap;
  return 1 + std::countr_zero(bits) / 2;
}

template <typename Key, class Compare>
template <typename Target>
void SkipList<Key, Compare>::LinkIn(Node* node, int height, const Target& target) {
  Node* prev[kMaxHeight];
  [[maybe_unused]] const Node* next = FindGreaterOrEqual(target, prev);
  assert(next == nullptr || compare_(next->key, node->key) != 0);

  const int max_height = MaxHeight();
  if (height > max_height) {
    for (int level = max_height; level < height; level++) prev[level] = head_;
    // Relaxed suffices: a reader that sees the new height before the links below finds null
    // head pointers on the new levels and simply moves down; one that sees the old height
    // searches fewer levels. Both find the right position.
    max_height_.store(height, std::memory_order_relaxed);
  }
  // Bottom-up: once a node is reachable on level i it is already correctly linked on every level
  // below, so a reader descending through it never skips keys.
  for (int level = 0; level < height; level++) {
    node->SetNextRelaxed(level, prev[level]->NextRelaxed(level));
    prev[level]->SetNext(level, node);
  }
}

template <typename Key, class Compare>
template <typename Target>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::FindGreaterOrEqual(
    const Target& target, Node** prev) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  // The node that stopped the search on the level above is known to be >= target; when it is
  // also the next node on this level, skip comparing it again.
  const Node* known_not_less = nullptr;
  while (true) {
    Node* next = x->Next(level);
    PrefetchDescent(x, level);
    if (next != known_not_less && next != nullptr && compare_(next->key, target) < 0) {
      x = next;
      continue;
    }
    if (prev != nullptr) prev[level] = x;
    if (level == 0) return next;
    known_not_less = next;
    level--;
  }
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::FindLessThan(const Key& key) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  const Node* known_not_less = nullptr;
  while (true) {
    Node* next = x->Next(level);
    PrefetchDescent(x, level);
    if (next != known_not_less && next != nullptr && compare_(next->key, key) < 0) {
      x = next;
      continue;
    }
    if (level == 0) return x;
    known_not_less = next;
    level--;
  }
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::FindLast() const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr) {
      x = next;
      continue;
    }
    if (level == 0) return x;
    level--;
  }
}

}  // namespace strata
