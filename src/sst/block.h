// Block: the parsed, immutable contents of one block (format: sst/block_builder.h), and
// BlockIter, an InternalIterator over its entries.
//
// A Block validates its restart array once, when constructed; BlockIter validates every entry it
// decodes against the block's bounds. Damaged contents make the iterator !Valid() with a
// Corruption status, never an out-of-bounds read. Blocks are shared (std::shared_ptr) between
// the block cache and the iterators reading them.
//
// BlockIter allocates nothing per entry: keys that share no prefix with their predecessor are
// returned as views into the block, the others are rebuilt in a buffer with inline storage.
//
// Thread safety: a Block is immutable and may be read by any number of threads; a BlockIter is
// used by one thread at a time. key()/value() views live until the iterator moves; value() views
// (and key() views of unshared keys) point into the block and live as long as the block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "sst/format.h"
#include "strata/comparator.h"

namespace strata {

class Block {
 public:
  // file_name and file_offset only serve error messages ("<file>: corrupt block entry ...").
  explicit Block(BlockContents contents, std::shared_ptr<const std::string> file_name = nullptr,
                 uint64_t file_offset = 0);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  std::string_view contents() const { return contents_.data; }
  // False when the contents view a memory-mapped file (see BlockContents): such a block must not
  // outlive its table, so it is never cached.
  bool owns_contents() const { return contents_.heap != nullptr; }
  // Memory held, for cache charges.
  size_t ApproximateMemoryUsage() const { return contents_.data.size() + sizeof(Block); }
  // Ok, or the Corruption that every iterator over this block will report.
  const Status& status() const { return status_; }

  // An iterator that does not own the block: the block must outlive it. See BlockIter for the
  // two kinds of keys.
  std::unique_ptr<InternalIterator> NewIterator(const Comparator* cmp) const;
  std::unique_ptr<InternalIterator> NewIterator(const InternalKeyComparator* icmp) const;

 private:
  friend class BlockIter;
  Status EntryCorruption(uint32_t entry_offset) const;
  Status Malformed(std::string_view what) const;

  BlockContents contents_;
  std::shared_ptr<const std::string> file_name_;
  uint64_t file_offset_;
  uint32_t restarts_offset_ = 0;  // end of the entries
  uint32_t num_restarts_ = 0;
  Status status_;
};

// An iterator over the entries of a block. Usable on the stack (Init + Seek, as Table::Get
// does) or through NewBlockIterator. Keys are of one of two kinds, chosen by the comparator's
// type:
//  - opaque byte strings in the order of any Comparator;
//  - internal keys, in the order of an InternalKeyComparator: a key shorter than 8 bytes is
//    reported as Corruption before any comparator sees it (InternalKeyComparator reads the
//    8-byte tag unchecked), and a bytewise user order is compared inline, without virtual calls.
class BlockIter final : public InternalIterator {
 public:
  BlockIter() = default;
  // REQUIRES: block (and the comparator) outlive the iterator.
  BlockIter(const Comparator* cmp, const Block* block) { Init(cmp, block); }
  BlockIter(const InternalKeyComparator* icmp, const Block* block) { Init(icmp, block); }
  // These keep the block alive as long as the iterator.
  BlockIter(const Comparator* cmp, std::shared_ptr<const Block> block);
  BlockIter(const InternalKeyComparator* icmp, std::shared_ptr<const Block> block);

  // (Re)targets the iterator at block; it is then !Valid(). REQUIRES: block outlives it.
  void Init(const Comparator* cmp, const Block* block);
  void Init(const InternalKeyComparator* icmp, const Block* block);

  bool Valid() const override { return current_ < restarts_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  // The previous key's prefix plus a delta, in inline storage unless the key is long.
  class KeyBuffer {
   public:
    KeyBuffer() = default;
    KeyBuffer(const KeyBuffer&) = delete;
    KeyBuffer& operator=(const KeyBuffer&) = delete;
    // Returns prev[0, shared) + delta. prev may point into this buffer.
    std::string_view Compose(std::string_view prev, size_t shared, std::string_view delta) {
      const size_t n = shared + delta.size();
      char* const d = data();
      if (prev.data() == d && n <= capacity_) {  // the common case: keep the prefix in place
        CopyShort(d + shared, delta.data(), delta.size());
        return std::string_view(d, n);
      }
      return ComposeSlow(prev, shared, delta);
    }

   private:
    // memcpy without a library call for the short deltas of prefix-compressed keys (a call in
    // the entry decoder's hot path costs more than the copy). Reads and writes only [0, n).
    static void CopyShort(char* dst, const char* src, size_t n) {
      if (n >= 8 && n <= 16) {
        uint64_t head, tail;
        std::memcpy(&head, src, 8);
        std::memcpy(&tail, src + n - 8, 8);
        std::memcpy(dst, &head, 8);
        std::memcpy(dst + n - 8, &tail, 8);
      } else if (n >= 4 && n < 8) {
        uint32_t head, tail;
        std::memcpy(&head, src, 4);
        std::memcpy(&tail, src + n - 4, 4);
        std::memcpy(dst, &head, 4);
        std::memcpy(dst + n - 4, &tail, 4);
      } else if (n < 4) {
        for (size_t i = 0; i < n; i++) dst[i] = src[i];
      } else {
        std::memcpy(dst, src, n);
      }
    }

    static constexpr size_t kInline = 96;
    char* data() { return heap_ ? heap_.get() : inline_; }
    std::string_view ComposeSlow(std::string_view prev, size_t shared, std::string_view delta);
    void Grow(size_t needed, size_t keep);

    std::unique_ptr<char[]> heap_;
    size_t capacity_ = kInline;
    char inline_[kInline];
  };

  void InitCommon(const Comparator* cmp, const Block* block, uint32_t min_key_length,
                  bool bytewise_internal);
  int Compare(std::string_view a, std::string_view b) const;
  uint32_t RestartPoint(uint32_t index) const {
    return DecodeFixed32(data_ + restarts_ + sizeof(uint32_t) * index);
  }
  void SeekToRestartPoint(uint32_t index);
  void SyncRestartIndex();
  bool ParseNextEntry();
  bool RestartKey(uint32_t index, std::string_view* key);
  void MarkInvalid();
  void Fail(uint32_t entry_offset);

  const Comparator* cmp_ = nullptr;
  const Block* block_ = nullptr;
  const char* data_ = nullptr;
  uint32_t restarts_ = 0;  // offset of the restart array = end of the entries
  uint32_t num_restarts_ = 0;
  uint32_t current_ = 0;  // offset of the current entry; == restarts_ when !Valid()
  uint32_t next_ = 0;     // offset just past the current entry
  // A restart point at or before current_ (the last one, once SyncRestartIndex has run). Kept
  // lazily: only Prev and Seek need it, so Next does not pay for it.
  uint32_t restart_index_ = 0;
  uint32_t min_key_length_ = 0;
  bool bytewise_internal_ = false;  // internal keys with a bytewise user order
  std::string_view key_;
  std::string_view value_;
  Status status_;
  std::shared_ptr<const Block> pin_;
  KeyBuffer key_buf_;
};

// An iterator over block that keeps the block alive (see BlockIter for the kinds of keys).
std::unique_ptr<InternalIterator> NewBlockIterator(std::shared_ptr<const Block> block,
                                                   const Comparator* cmp);
std::unique_ptr<InternalIterator> NewBlockIterator(std::shared_ptr<const Block> block,
                                                   const InternalKeyComparator* icmp);

}  // namespace strata
