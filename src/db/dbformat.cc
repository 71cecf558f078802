#include "db/dbformat.h"

#include <cstdio>
#include <cstring>

#include "util/bytewise.h"

namespace strata {

void AppendInternalKey(std::string* result, const ParsedInternalKey& key) {
  result->append(key.user_key.data(), key.user_key.size());
  PutFixed64(result, PackSequenceAndType(key.sequence, key.type));
}

static std::string EscapeForDebug(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", b);
      out.append(buf);
    }
  }
  return out;
}

std::string ParsedInternalKey::DebugString() const {
  std::string out = "'";
  out.append(EscapeForDebug(user_key));
  out.append("' @ ");
  out.append(std::to_string(sequence));
  out.append(" : ");
  out.append(std::to_string(static_cast<int>(type)));
  return out;
}

std::string InternalKey::DebugString() const {
  ParsedInternalKey parsed;
  if (ParseInternalKey(rep_, &parsed)) return parsed.DebugString();
  return "(bad)" + EscapeForDebug(rep_);
}

int InternalKeyComparator::Compare(std::string_view a, std::string_view b) const {
  const int r = bytewise_ ? BytewiseCompare(ExtractUserKey(a), ExtractUserKey(b))
                          : user_->Compare(ExtractUserKey(a), ExtractUserKey(b));
  if (r != 0) return r;
  const uint64_t anum = ExtractTag(a);
  const uint64_t bnum = ExtractTag(b);
  if (anum > bnum) return -1;
  if (anum < bnum) return +1;
  return 0;
}

void InternalKeyComparator::FindShortestSeparator(std::string* start,
                                                  std::string_view limit) const {
  const std::string_view user_start = ExtractUserKey(*start);
  const std::string_view user_limit = ExtractUserKey(limit);
  std::string tmp(user_start);
  user_->FindShortestSeparator(&tmp, user_limit);
  if (tmp.size() < user_start.size() && user_->Compare(user_start, tmp) < 0) {
    // The user key became shorter physically but larger logically: tag it with the earliest
    // possible sequence so it sorts before every entry of that user key.
    PutFixed64(&tmp, PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    start->swap(tmp);
  }
}

void InternalKeyComparator::FindShortSuccessor(std::string* key) const {
  const std::string_view user_key = ExtractUserKey(*key);
  std::string tmp(user_key);
  user_->FindShortSuccessor(&tmp);
  if (tmp.size() < user_key.size() && user_->Compare(user_key, tmp) < 0) {
    PutFixed64(&tmp, PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    key->swap(tmp);
  }
}

LookupKey::LookupKey(std::string_view user_key, SequenceNumber s) {
  const size_t usize = user_key.size();
  const size_t needed = usize + 13;  // conservative: varint32 (5) + tag (8)
  char* dst = space_;
  if (needed > sizeof(space_)) {
    heap_ = std::make_unique_for_overwrite<char[]>(needed);
    dst = heap_.get();
  }
  start_ = dst;
  dst = EncodeVarint32(dst, static_cast<uint32_t>(usize + 8));
  kstart_ = dst;
  std::memcpy(dst, user_key.data(), usize);
  dst += usize;
  EncodeFixed64(dst, PackSequenceAndType(s, kValueTypeForSeek));
  dst += 8;
  end_ = dst;
}


}  // namespace strata
