#include "version/version_edit.h"

#include <cassert>
#include <cstdio>

#include "strata/options.h"
#include "util/coding.h"

namespace strata {

namespace {

void PutLevel(std::string* dst, int level) {
  assert(level >= 0 && level < kNumLevels);
  PutVarint32(dst, static_cast<uint32_t>(level));
}

void PutInternalKey(std::string* dst, const InternalKey& key) {
  assert(!key.empty());
  PutLengthPrefixed(dst, key.Encode());
}

// Reads the parts of one field's body in order. The first part that fails is remembered, and
// status() names the field, its byte offset in the edit and the part.
class FieldReader {
 public:
  FieldReader(std::string_view* input, const char* field, size_t offset)
      : input_(input), field_(field), offset_(offset) {}

  FieldReader& Number(const char* part, uint64_t* v) {
    if (ok() && !GetVarint64(input_, v)) Fail(part, "truncated or malformed varint");
    return *this;
  }
  FieldReader& Sequence(const char* part, SequenceNumber* v) {
    if (Number(part, v).ok() && *v > kMaxSequenceNumber) {
      Fail(part, std::to_string(*v) + " exceeds the largest sequence number");
    }
    return *this;
  }
  FieldReader& Level(int* level) {
    uint32_t v = 0;
    if (!ok()) return *this;
    if (!GetVarint32(input_, &v)) {
      Fail("level", "truncated or malformed varint");
    } else if (v >= static_cast<uint32_t>(kNumLevels)) {
      Fail("level", std::to_string(v) + " out of range");
    } else {
      *level = static_cast<int>(v);
    }
    return *this;
  }
  FieldReader& String(const char* part, std::string_view* s) {
    if (ok() && !GetLengthPrefixed(input_, s)) Fail(part, "truncated length-prefixed string");
    return *this;
  }
  FieldReader& Key(const char* part, InternalKey* key) {
    std::string_view encoded;
    if (String(part, &encoded).ok() && !key->DecodeFrom(encoded)) {
      Fail(part, "invalid internal key");
    }
    return *this;
  }

  bool ok() const { return error_.empty(); }
  Status status() const {
    if (ok()) return Status::OK();
    return Status::Corruption("VersionEdit", std::string(field_) + " field at byte " +
                                                 std::to_string(offset_) + ": " + error_);
  }
  // For a failure that is about the field as a whole rather than one of its parts.
  Status FieldError(const std::string& what) const {
    return Status::Corruption("VersionEdit", std::string(field_) + " field at byte " +
                                                 std::to_string(offset_) + ": " + what);
  }

 private:
  void Fail(const char* part, const std::string& what) { error_ = std::string(part) + ": " + what; }

  std::string_view* const input_;
  const char* const field_;
  const size_t offset_;
  std::string error_;
};

std::string Escape(std::string_view s) {
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

}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  if (has_comparator_) {
    PutVarint32(dst, kComparator);
    PutLengthPrefixed(dst, comparator_);
  }
  if (has_log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, log_number_);
  }
  if (has_next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, next_file_number_);
  }
  if (has_last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, last_sequence_);
  }
  for (const auto& [level, key] : compact_pointers_) {
    PutVarint32(dst, kCompactPointer);
    PutLevel(dst, level);
    PutInternalKey(dst, key);
  }
  for (const auto& [level, number] : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutLevel(dst, level);
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutVarint32(dst, kNewFile);
    PutLevel(dst, level);
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutInternalKey(dst, f.smallest);
    PutInternalKey(dst, f.largest);
    PutVarint64(dst, f.smallest_seqno);
    PutVarint64(dst, f.largest_seqno);
  }
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  Clear();
  std::string_view input = src;
  Status s;
  while (s.ok() && !input.empty()) {
    const size_t offset = src.size() - input.size();
    uint32_t tag = 0;
    if (!GetVarint32(&input, &tag)) {
      s = Status::Corruption("VersionEdit",
                             "tag at byte " + std::to_string(offset) + ": truncated or malformed");
    } else {
      s = DecodeField(tag, offset, &input);
    }
  }
  // A failed decode leaves no half-decoded edit behind.
  if (!s.ok()) Clear();
  return s;
}

Status VersionEdit::DecodeSingular(uint32_t tag, size_t offset, std::string_view* input) {
  const char* name = tag == kComparator       ? "comparator"
                     : tag == kLogNumber      ? "log-number"
                     : tag == kNextFileNumber ? "next-file-number"
                                              : "last-sequence";
  FieldReader r(input, name, offset);
  bool* has = nullptr;
  switch (tag) {
    case kComparator: {
      std::string_view name_value;
      r.String("name", &name_value);
      if (r.ok()) comparator_.assign(name_value);
      has = &has_comparator_;
      break;
    }
    case kLogNumber:
      r.Number("number", &log_number_);
      has = &has_log_number_;
      break;
    case kNextFileNumber:
      r.Number("number", &next_file_number_);
      has = &has_next_file_number_;
      break;
    default:
      r.Sequence("sequence", &last_sequence_);
      has = &has_last_sequence_;
      break;
  }
  if (!r.ok()) return r.status();
  // The encoder writes each of these at most once; a repeat means damage or a foreign writer.
  if (*has) return r.FieldError("duplicate");
  *has = true;
  return Status::OK();
}

Status VersionEdit::DecodeField(uint32_t tag, size_t offset, std::string_view* input) {
  switch (tag) {
    case kComparator:
    case kLogNumber:
    case kNextFileNumber:
    case kLastSequence:
      return DecodeSingular(tag, offset, input);
    case kCompactPointer: {
      int level = 0;
      InternalKey key;
      FieldReader r(input, "compact-pointer", offset);
      if (r.Level(&level).Key("key", &key).ok()) compact_pointers_.emplace_back(level, key);
      return r.status();
    }
    case kDeletedFile: {
      int level = 0;
      uint64_t number = 0;
      FieldReader r(input, "deleted-file", offset);
      if (r.Level(&level).Number("number", &number).ok()) deleted_files_.insert({level, number});
      return r.status();
    }
    case kNewFile: {
      int level = 0;
      FileMetaData f;
      FieldReader r(input, "new-file", offset);
      r.Level(&level)
          .Number("number", &f.number)
          .Number("file size", &f.file_size)
          .Key("smallest key", &f.smallest)
          .Key("largest key", &f.largest)
          .Sequence("smallest seqno", &f.smallest_seqno)
          .Sequence("largest seqno", &f.largest_seqno);
      if (r.ok()) new_files_.emplace_back(level, std::move(f));
      return r.status();
    }
    default:
      break;
  }
  if ((tag & kTagSafeToIgnore) == 0) {
    return Status::NotSupported("VersionEdit", "unknown field tag " + std::to_string(tag) +
                                                   " at byte " + std::to_string(offset) +
                                                   " (written by a newer strata?)");
  }
  const std::string field = "optional (tag " + std::to_string(tag) + ")";
  std::string_view ignored;
  FieldReader r(input, field.c_str(), offset);
  r.String("body", &ignored);
  return r.status();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (has_comparator_) r += "\n  comparator: " + Escape(comparator_);
  if (has_log_number_) r += "\n  log_number: " + std::to_string(log_number_);
  if (has_next_file_number_) r += "\n  next_file_number: " + std::to_string(next_file_number_);
  if (has_last_sequence_) r += "\n  last_sequence: " + std::to_string(last_sequence_);
  for (const auto& [level, key] : compact_pointers_) {
    r += "\n  compact_pointer: L" + std::to_string(level) + " " + key.DebugString();
  }
  for (const auto& [level, number] : deleted_files_) {
    r += "\n  deleted_file: L" + std::to_string(level) + " #" + std::to_string(number);
  }
  for (const auto& [level, f] : new_files_) {
    r += "\n  new_file: L" + std::to_string(level) + " #" + std::to_string(f.number) + " " +
         std::to_string(f.file_size) + " bytes [" + f.smallest.DebugString() + " .. " +
         f.largest.DebugString() + "] seqno " + std::to_string(f.smallest_seqno) + ".." +
         std::to_string(f.largest_seqno);
  }
  r += "\n}\n";
  return r;
}

}  // namespace strata
