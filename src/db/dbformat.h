// Internal keys: how a user key, its sequence number and its kind are stored together
// (docs/format.md "Internal key").
//
//   internal_key := user_key | fixed64((sequence << 8) | type)
//
// Internal keys order by user key ascending (user comparator), then by sequence descending, then
// by type descending, so the newest version of a key comes first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "strata/comparator.h"
#include "util/coding.h"

namespace strata {

using SequenceNumber = uint64_t;

// Sequence numbers use 56 bits; the low 8 bits of the packed tag hold the type.
inline constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;

// Persisted in WAL batches and SSTs: the values are frozen.
enum ValueType : uint8_t {
  kTypeDeletion = 0x0,
  kTypeValue = 0x1,
};
// The type that sorts first among entries of equal user key and sequence (types sort
// descending), used to build seek targets.
inline constexpr ValueType kValueTypeForSeek = kTypeValue;

inline bool IsValidValueType(uint8_t t) { return t <= kTypeValue; }

inline uint64_t PackSequenceAndType(SequenceNumber seq, ValueType t) {
  return (seq << 8) | t;
}

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = kTypeValue;

  ParsedInternalKey() = default;
  ParsedInternalKey(std::string_view u, SequenceNumber seq, ValueType t)
      : user_key(u), sequence(seq), type(t) {}
  std::string DebugString() const;
};

inline size_t InternalKeyEncodingLength(const ParsedInternalKey& key) {
  return key.user_key.size() + 8;
}

void AppendInternalKey(std::string* result, const ParsedInternalKey& key);

// Returns false if internal_key is shorter than 8 bytes or has an unknown type.
inline bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey* result) {
  const size_t n = internal_key.size();
  if (n < 8) return false;
  const uint64_t num = DecodeFixed64(internal_key.data() + n - 8);
  const auto type = static_cast<uint8_t>(num & 0xff);
  if (!IsValidValueType(type)) return false;
  result->sequence = num >> 8;
  result->type = static_cast<ValueType>(type);
  result->user_key = internal_key.substr(0, n - 8);
  return true;
}

// REQUIRES: internal_key.size() >= 8.
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  return internal_key.substr(0, internal_key.size() - 8);
}
inline uint64_t ExtractTag(std::string_view internal_key) {
  return DecodeFixed64(internal_key.data() + internal_key.size() - 8);
}

// Orders internal keys (see the file comment). Wraps the user comparator.
class InternalKeyComparator final : public Comparator {
 public:
  explicit InternalKeyComparator(const Comparator* user)
      : user_(user), bytewise_(user == BytewiseComparator()) {}

  int Compare(std::string_view a, std::string_view b) const override;
  const char* Name() const override { return "strata.InternalKeyComparator"; }
  void FindShortestSeparator(std::string* start, std::string_view limit) const override;
  void FindShortSuccessor(std::string* key) const override;

  const Comparator* user_comparator() const { return user_; }

 private:
  const Comparator* user_;
  const bool bytewise_;  // compare user keys inline, without a virtual call
};

// An owned internal key.
class InternalKey {
 public:
  InternalKey() = default;  // empty: invalid
  InternalKey(std::string_view user_key, SequenceNumber s, ValueType t) {
    AppendInternalKey(&rep_, ParsedInternalKey(user_key, s, t));
  }
  // Returns false if s is not a well-formed internal key (and then leaves this empty).
  bool DecodeFrom(std::string_view s) {
    ParsedInternalKey parsed;
    if (!ParseInternalKey(s, &parsed)) {
      rep_.clear();
      return false;
    }
    rep_.assign(s.data(), s.size());
    return true;
  }
  std::string_view Encode() const { return rep_; }
  std::string_view user_key() const { return ExtractUserKey(rep_); }
  bool empty() const { return rep_.empty(); }
  void Clear() { rep_.clear(); }
  std::string DebugString() const;

 private:
  std::string rep_;
};

// The key a point lookup searches for, in the two forms the read path needs:
//   memtable_key() = varint32(internal_key length) | internal_key   (memtable entries)
//   internal_key() = user_key | tag(sequence, kValueTypeForSeek)
class LookupKey {
 public:
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  ~LookupKey() = default;

  std::string_view memtable_key() const {
    return std::string_view(start_, static_cast<size_t>(end_ - start_));
  }
  std::string_view internal_key() const {
    return std::string_view(kstart_, static_cast<size_t>(end_ - kstart_));
  }
  std::string_view user_key() const {
    return std::string_view(kstart_, static_cast<size_t>(end_ - kstart_ - 8));
  }

 private:
  const char* start_;
  const char* kstart_;
  const char* end_;
  char space_[200];  // avoids an allocation for short keys
  std::unique_ptr<char[]> heap_;  // used when the key does not fit in space_
};

}  // namespace strata
