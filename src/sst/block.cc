#include "sst/block.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

#include "util/bytewise.h"
#include "util/coding.h"

namespace strata {
namespace {

struct EntryHeader {
  uint32_t shared;
  uint32_t non_shared;
  uint32_t value_length;
  uint32_t key_offset;  // offset of the key delta within the block
};

// Decodes the header of the entry at `offset`, checking that the whole entry lies before
// `limit`. Returns false if it does not or a varint is malformed.
inline bool DecodeEntry(const char* data, uint32_t offset, uint32_t limit, EntryHeader* h) {
  const char* p = data + offset;
  const char* const end = data + limit;
  if (end - p < 3) return false;
  uint32_t shared = static_cast<uint8_t>(p[0]);
  uint32_t non_shared = static_cast<uint8_t>(p[1]);
  uint32_t value_length = static_cast<uint8_t>(p[2]);
  if ((shared | non_shared | value_length) < 0x80) {
    p += 3;  // all three lengths are one byte: the common case
  } else {
    p = GetVarint32Ptr(p, end, &shared);
    if (p == nullptr) return false;
    p = GetVarint32Ptr(p, end, &non_shared);
    if (p == nullptr) return false;
    p = GetVarint32Ptr(p, end, &value_length);
    if (p == nullptr) return false;
  }
  if (uint64_t{non_shared} + value_length > static_cast<uint64_t>(end - p)) return false;
  h->shared = shared;
  h->non_shared = non_shared;
  h->value_length = value_length;
  h->key_offset = static_cast<uint32_t>(p - data);
  return true;
}

// The length of the shortest internal key: an empty user key and the 8-byte tag.
constexpr uint32_t kInternalKeyMinLength = 8;

}  // namespace

// ---- Block ---------------------------------------------------------------------------------

Block::Block(BlockContents contents, std::shared_ptr<const std::string> file_name,
             uint64_t file_offset)
    : contents_(std::move(contents)), file_name_(std::move(file_name)), file_offset_(file_offset) {
  const std::string_view d = contents_.data;
  if (d.size() < sizeof(uint32_t) || d.size() > std::numeric_limits<uint32_t>::max()) {
    status_ = Malformed("block too short or too long (" + std::to_string(d.size()) + " bytes)");
    return;
  }
  const auto size = static_cast<uint32_t>(d.size());
  const uint32_t num = DecodeFixed32(d.data() + size - 4);
  if (num > (size - 4) / 4) {
    status_ = Malformed("restart count " + std::to_string(num) + " exceeds the block");
    return;
  }
  const uint32_t restarts_offset = size - 4 - 4 * num;
  // Restart points must start at 0, increase strictly and lie inside the entries; checking them
  // once here lets the iterators use them unchecked.
  uint32_t prev = 0;
  for (uint32_t i = 0; i < num; i++) {
    const uint32_t r = DecodeFixed32(d.data() + restarts_offset + 4 * i);
    const bool bad = (i == 0) ? r != 0 : (r <= prev || r >= restarts_offset);
    if (bad) {
      status_ = Malformed("bad restart point " + std::to_string(i));
      return;
    }
    prev = r;
  }
  if (restarts_offset > 0 && num == 0) {
    status_ = Malformed("entries without restart points");
    return;
  }
  restarts_offset_ = restarts_offset;
  num_restarts_ = num;
}

Status Block::Malformed(std::string_view what) const {
  std::string msg = "malformed block";
  if (file_name_) msg += " at offset " + std::to_string(file_offset_);
  msg += ": ";
  msg += what;
  return file_name_ ? Status::Corruption(*file_name_, msg) : Status::Corruption(msg);
}

Status Block::EntryCorruption(uint32_t entry_offset) const {
  std::string msg = "corrupt block entry at offset " + std::to_string(entry_offset);
  if (file_name_) msg += " of the block at offset " + std::to_string(file_offset_);
  return file_name_ ? Status::Corruption(*file_name_, msg) : Status::Corruption(msg);
}

std::unique_ptr<InternalIterator> Block::NewIterator(const Comparator* cmp) const {
  return std::make_unique<BlockIter>(cmp, this);
}

std::unique_ptr<InternalIterator> Block::NewIterator(const InternalKeyComparator* icmp) const {
  return std::make_unique<BlockIter>(icmp, this);
}

std::unique_ptr<InternalIterator> NewBlockIterator(std::shared_ptr<const Block> block,
                                                   const Comparator* cmp) {
  return std::make_unique<BlockIter>(cmp, std::move(block));
}

std::unique_ptr<InternalIterator> NewBlockIterator(std::shared_ptr<const Block> block,
                                                   const InternalKeyComparator* icmp) {
  return std::make_unique<BlockIter>(icmp, std::move(block));
}

// ---- BlockIter::KeyBuffer -------------------------------------------------------------------

void BlockIter::KeyBuffer::Grow(size_t needed, size_t keep) {
  const size_t capacity = std::max(needed, 2 * capacity_);
  auto heap = std::make_unique_for_overwrite<char[]>(capacity);
  std::memcpy(heap.get(), data(), keep);
  heap_ = std::move(heap);
  capacity_ = capacity;
}

std::string_view BlockIter::KeyBuffer::ComposeSlow(std::string_view prev, size_t shared,
                                                   std::string_view delta) {
  const size_t n = shared + delta.size();
  if (prev.data() == data()) {
    if (n > capacity_) Grow(n, shared);
  } else {
    if (n > capacity_) Grow(n, 0);
    std::memcpy(data(), prev.data(), shared);
  }
  std::memcpy(data() + shared, delta.data(), delta.size());
  return std::string_view(data(), n);
}

// ---- BlockIter ------------------------------------------------------------------------------

BlockIter::BlockIter(const Comparator* cmp, std::shared_ptr<const Block> block) {
  Init(cmp, block.get());
  pin_ = std::move(block);
}

BlockIter::BlockIter(const InternalKeyComparator* icmp, std::shared_ptr<const Block> block) {
  Init(icmp, block.get());
  pin_ = std::move(block);
}

void BlockIter::Init(const Comparator* cmp, const Block* block) {
  InitCommon(cmp, block, 0, false);
}

void BlockIter::Init(const InternalKeyComparator* icmp, const Block* block) {
  InitCommon(icmp, block, kInternalKeyMinLength, icmp->user_comparator() == BytewiseComparator());
}

void BlockIter::InitCommon(const Comparator* cmp, const Block* block, uint32_t min_key_length,
                           bool bytewise_internal) {
  cmp_ = cmp;
  min_key_length_ = min_key_length;
  bytewise_internal_ = bytewise_internal;
  block_ = block;
  data_ = block->contents_.data.data();
  status_ = block->status_;
  restarts_ = status_.ok() ? block->restarts_offset_ : 0;
  num_restarts_ = status_.ok() ? block->num_restarts_ : 0;
  pin_.reset();
  MarkInvalid();
}

// InternalKeyComparator over BytewiseComparator, inlined: user keys by memcmp, then the tags
// descending. Keys reaching it are at least 8 bytes long (checked when decoded; targets are
// internal keys by contract).
inline int BlockIter::Compare(std::string_view a, std::string_view b) const {
  if (!bytewise_internal_) return cmp_->Compare(a, b);
  const size_t ua = a.size() - 8;
  const size_t ub = b.size() - 8;
  const int r = BytewiseCompare(a.substr(0, ua), b.substr(0, ub));
  if (r != 0) return r;
  const uint64_t ta = DecodeFixed64(a.data() + ua);
  const uint64_t tb = DecodeFixed64(b.data() + ub);
  return ta > tb ? -1 : (ta < tb ? 1 : 0);
}

void BlockIter::MarkInvalid() {
  current_ = restarts_;
  next_ = restarts_;
  restart_index_ = num_restarts_;
  key_ = {};
  value_ = {};
}

void BlockIter::Fail(uint32_t entry_offset) {
  if (status_.ok()) status_ = block_->EntryCorruption(entry_offset);
  // Once an entry is known bad nothing in the block is trusted: stay invalid for good.
  restarts_ = 0;
  num_restarts_ = 0;
  MarkInvalid();
}

void BlockIter::SeekToRestartPoint(uint32_t index) {
  key_ = {};
  restart_index_ = index;
  next_ = RestartPoint(index);
}

bool BlockIter::ParseNextEntry() {
  current_ = next_;
  if (current_ >= restarts_) {
    MarkInvalid();
    return false;
  }
  EntryHeader h;
  if (!DecodeEntry(data_, current_, restarts_, &h) || h.shared > key_.size() ||
      h.shared + h.non_shared < min_key_length_) {
    Fail(current_);
    return false;
  }
  const std::string_view delta(data_ + h.key_offset, h.non_shared);
  key_ = (h.shared == 0) ? delta : key_buf_.Compose(key_, h.shared, delta);
  value_ = std::string_view(data_ + h.key_offset + h.non_shared, h.value_length);
  next_ = h.key_offset + h.non_shared + h.value_length;
  return true;
}

void BlockIter::SyncRestartIndex() {
  while (restart_index_ + 1 < num_restarts_ && RestartPoint(restart_index_ + 1) <= current_) {
    restart_index_++;
  }
}

bool BlockIter::RestartKey(uint32_t index, std::string_view* key) {
  const uint32_t offset = RestartPoint(index);
  EntryHeader h;
  if (!DecodeEntry(data_, offset, restarts_, &h) || h.shared != 0 ||
      h.non_shared < min_key_length_) {
    Fail(offset);
    return false;
  }
  *key = std::string_view(data_ + h.key_offset, h.non_shared);
  return true;
}

void BlockIter::SeekToFirst() {
  if (restarts_ == 0) return MarkInvalid();
  SeekToRestartPoint(0);
  ParseNextEntry();
}

void BlockIter::SeekToLast() {
  if (restarts_ == 0) return MarkInvalid();
  SeekToRestartPoint(num_restarts_ - 1);
  while (ParseNextEntry() && next_ < restarts_) {
  }
}

void BlockIter::Seek(std::string_view target) {
  if (restarts_ == 0) return MarkInvalid();
  // Binary search for the last restart point whose key is < target; the answer is at or after
  // it. The current position, when valid, narrows the range for free.
  uint32_t left = 0;
  uint32_t right = num_restarts_ - 1;
  bool left_below_target = false;  // known: key at restart `left` < target
  if (Valid()) {
    const int c = Compare(key_, target);
    if (c == 0) return;
    if (c < 0) {
      left = restart_index_;  // a lower bound even before SyncRestartIndex
      left_below_target = true;
    } else {
      SyncRestartIndex();
      right = restart_index_;
    }
  }
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key;
    if (!RestartKey(mid, &mid_key)) return;
    if (Compare(mid_key, target) < 0) {
      left = mid;
      left_below_target = true;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestartPoint(left);
  if (!ParseNextEntry()) return;
  if (!left_below_target && Compare(key_, target) >= 0) return;
  while (ParseNextEntry()) {
    if (Compare(key_, target) >= 0) return;
  }
}

void BlockIter::Next() {
  assert(Valid());
  ParseNextEntry();
}

void BlockIter::Prev() {
  assert(Valid());
  // Back up to the restart point before the current entry, then walk forward to the entry that
  // ends where the current one starts.
  const uint32_t original = current_;
  SyncRestartIndex();
  while (RestartPoint(restart_index_) >= original) {
    if (restart_index_ == 0) return MarkInvalid();
    restart_index_--;
  }
  SeekToRestartPoint(restart_index_);
  while (ParseNextEntry() && next_ < original) {
  }
  if (Valid() && next_ != original) Fail(current_);  // entries do not chain up to `original`
}

}  // namespace strata
