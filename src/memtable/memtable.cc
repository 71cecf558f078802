#include "memtable/memtable.h"

#include <cassert>
#include <cstring>
#include <limits>

#include "util/bytewise.h"

namespace strata {
namespace {

// An entry, as stored in the payload of its skiplist node:
//   varint32(internal_key_len) | user_key | fixed64(seq << 8 | type) | varint32(value_len) | value
// The skiplist key is a pointer to the first byte. Entries are written by Add only, so decoding
// them needs no bounds checks: a varint ends where its continuation bits say.

std::string_view EntryInternalKey(const char* entry) {
  uint32_t len;
  const char* p = DecodeVarint32(entry, entry + kMaxVarint32Bytes, &len);
  return {p, len};
}

// REQUIRES: internal_key was returned by EntryInternalKey.
std::string_view EntryValue(std::string_view internal_key) {
  const char* p = internal_key.data() + internal_key.size();
  uint32_t len;
  p = DecodeVarint32(p, p + kMaxVarint32Bytes, &len);
  return {p, len};
}

char* AppendBytes(char* dst, std::string_view bytes) {
  // memcpy from a null source is undefined even for zero bytes, and an empty view may be null.
  if (!bytes.empty()) std::memcpy(dst, bytes.data(), bytes.size());
  return dst + bytes.size();
}

}  // namespace

MemTable::KeyProbe MemTable::KeyProbe::FromInternalKey(std::string_view internal_key) {
  if (internal_key.size() < 8) return {internal_key, std::numeric_limits<uint64_t>::max()};
  return {ExtractUserKey(internal_key), ExtractTag(internal_key)};
}

MemTable::EntryComparator::EntryComparator(const Comparator* user)
    : user_(user), bytewise_(user == BytewiseComparator()) {}

int MemTable::EntryComparator::CompareUserKeys(std::string_view a, std::string_view b) const {
  return bytewise_ ? BytewiseCompare(a, b) : user_->Compare(a, b);
}

bool MemTable::EntryComparator::UserKeysEqual(std::string_view a, std::string_view b) const {
  return bytewise_ ? a == b : user_->Compare(a, b) == 0;
}

int MemTable::EntryComparator::operator()(const char* entry, const KeyProbe& probe) const {
  const std::string_view internal_key = EntryInternalKey(entry);
  const int r = CompareUserKeys(ExtractUserKey(internal_key), probe.user_key);
  if (r != 0) return r;
  // Larger tags (newer sequence numbers) sort first.
  const uint64_t tag = ExtractTag(internal_key);
  return tag > probe.tag ? -1 : (tag < probe.tag ? +1 : 0);
}

int MemTable::EntryComparator::operator()(const char* a, const char* b) const {
  return (*this)(a, KeyProbe::FromInternalKey(EntryInternalKey(b)));
}

class MemTable::Iterator final : public InternalIterator {
 public:
  explicit Iterator(const Table* table) : it_(table) {}

  bool Valid() const override { return it_.Valid(); }
  void SeekToFirst() override { it_.SeekToFirst(); }
  void SeekToLast() override { it_.SeekToLast(); }
  void Seek(std::string_view target) override { it_.Seek(KeyProbe::FromInternalKey(target)); }
  void Next() override { it_.Next(); }
  void Prev() override { it_.Prev(); }
  std::string_view key() const override { return EntryInternalKey(it_.key()); }
  std::string_view value() const override { return EntryValue(key()); }
  Status status() const override { return Status::OK(); }
  bool IsKeyPinned() const override { return true; }

 private:
  Table::Iterator it_;
};

MemTable::MemTable(const InternalKeyComparator& comparator)
    : table_(EntryComparator(comparator.user_comparator()), &arena_) {}

MemTable::~MemTable() = default;

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view user_key,
                   std::string_view value) {
  assert(seq <= kMaxSequenceNumber && IsValidValueType(type));
  const size_t internal_key_size = user_key.size() + 8;
  assert(internal_key_size <= std::numeric_limits<uint32_t>::max());
  assert(value.size() <= std::numeric_limits<uint32_t>::max());
  const size_t entry_size = VarintLength(internal_key_size) + internal_key_size +
                            VarintLength(value.size()) + value.size();
  table_.InsertWithPayload(
      entry_size,
      [&](char* entry) -> const char* {
        char* p = EncodeVarint32(entry, static_cast<uint32_t>(internal_key_size));
        p = AppendBytes(p, user_key);
        EncodeFixed64(p, PackSequenceAndType(seq, type));
        p = EncodeVarint32(p + 8, static_cast<uint32_t>(value.size()));
        AppendBytes(p, value);
        return entry;
      },
      KeyProbe{user_key, PackSequenceAndType(seq, type)});
  // One writer: a plain load and store, no read-modify-write needed.
  num_entries_.store(num_entries_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (type == kTypeDeletion) {
    num_deletes_.store(num_deletes_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
}

bool MemTable::Get(const LookupKey& key, std::string* value, Status* s) const {
  Table::Iterator it(&table_);
  it.Seek(KeyProbe::FromInternalKey(key.internal_key()));
  if (!it.Valid()) return false;
  // The first entry at or after (user key, sequence) is the newest visible version of the user
  // key, if it is that user key at all.
  const std::string_view internal_key = EntryInternalKey(it.key());
  if (!table_.compare().UserKeysEqual(ExtractUserKey(internal_key), key.user_key())) {
    return false;
  }
  switch (static_cast<ValueType>(ExtractTag(internal_key) & 0xff)) {
    case kTypeValue: {
      const std::string_view v = EntryValue(internal_key);
      value->assign(v.data(), v.size());
      *s = Status::OK();
      return true;
    }
    case kTypeDeletion:
      *s = Status::NotFound(std::string_view());
      return true;
  }
  return false;  // unreachable: Add stores valid types only
}

std::unique_ptr<InternalIterator> MemTable::NewIterator() const {
  return std::make_unique<Iterator>(&table_);
}

size_t MemTable::ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }

uint64_t MemTable::NumEntries() const { return num_entries_.load(std::memory_order_relaxed); }

uint64_t MemTable::NumDeletes() const { return num_deletes_.load(std::memory_order_relaxed); }

}  // namespace strata
