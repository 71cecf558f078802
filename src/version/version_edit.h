// VersionEdit: one atomic change of the DB's file set, as recorded in the MANIFEST
// (docs/format.md "MANIFEST"). The MANIFEST is a log (src/wal/log_format.h) of encoded edits;
// replaying them in order yields the current set of live SSTs per level plus the counters below.
//
// Encoding: a sequence of fields, each `varint32 tag | body`. Tag numbers are persisted and
// FROZEN — never renumber or reuse one. A tag with bit kTagSafeToIgnore set may be skipped by a
// reader that does not know it (its body is a varint-length-prefixed string); any other unknown
// tag makes the edit undecodable (NotSupported: written by a newer strata).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "strata/status.h"

namespace strata {

// Metadata of one SST file. Persisted fields: number, file_size, smallest, largest,
// smallest_seqno, largest_seqno. Immutable once the file is part of a Version; shared between
// versions by std::shared_ptr.
struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  InternalKey smallest;  // smallest internal key in the file
  InternalKey largest;   // largest internal key in the file
  SequenceNumber smallest_seqno = 0;
  SequenceNumber largest_seqno = 0;
};

class VersionEdit {
 public:
  // Frozen tag numbers (persisted).
  enum Tag : uint32_t {
    kComparator = 1,
    kLogNumber = 2,
    kNextFileNumber = 3,
    kLastSequence = 4,
    kCompactPointer = 5,
    kDeletedFile = 6,
    kNewFile = 7,
    // 8 and up: free. Tags >= kTagSafeToIgnore with that bit set are optional fields.
  };
  static constexpr uint32_t kTagSafeToIgnore = 1u << 13;

  VersionEdit() = default;

  void Clear() { *this = VersionEdit(); }

  void SetComparatorName(std::string_view name) {
    has_comparator_ = true;
    comparator_.assign(name.data(), name.size());
  }
  // WALs with numbers < log_number are no longer needed: their contents are in SSTs.
  void SetLogNumber(uint64_t num) {
    has_log_number_ = true;
    log_number_ = num;
  }
  void SetNextFile(uint64_t num) {
    has_next_file_number_ = true;
    next_file_number_ = num;
  }
  void SetLastSequence(SequenceNumber seq) {
    has_last_sequence_ = true;
    last_sequence_ = seq;
  }
  // Where the next size-triggered compaction of `level` starts (round-robin through the key
  // space).
  void SetCompactPointer(int level, const InternalKey& key) {
    compact_pointers_.emplace_back(level, key);
  }
  // REQUIRES: 0 <= level < kNumLevels.
  void AddFile(int level, const FileMetaData& file) { new_files_.emplace_back(level, file); }
  void RemoveFile(int level, uint64_t file_number) { deleted_files_.insert({level, file_number}); }

  // Appends the encoding to *dst. REQUIRES: every key set is a valid internal key.
  void EncodeTo(std::string* dst) const;
  // Replaces this edit with the one encoded in src. Corruption (with the field that failed) on
  // malformed input, NotSupported on an unknown mandatory tag. Never crashes on any input.
  Status DecodeFrom(std::string_view src);

  std::string DebugString() const;

  bool has_comparator() const { return has_comparator_; }
  const std::string& comparator() const { return comparator_; }
  bool has_log_number() const { return has_log_number_; }
  uint64_t log_number() const { return log_number_; }
  bool has_next_file_number() const { return has_next_file_number_; }
  uint64_t next_file_number() const { return next_file_number_; }
  bool has_last_sequence() const { return has_last_sequence_; }
  SequenceNumber last_sequence() const { return last_sequence_; }
  const std::vector<std::pair<int, InternalKey>>& compact_pointers() const {
    return compact_pointers_;
  }
  const std::set<std::pair<int, uint64_t>>& deleted_files() const { return deleted_files_; }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }

 private:
  // Decode one field whose tag (at byte `offset` of the encoding) has been read from *input.
  Status DecodeField(uint32_t tag, size_t offset, std::string_view* input);
  Status DecodeSingular(uint32_t tag, size_t offset, std::string_view* input);

  std::string comparator_;
  uint64_t log_number_ = 0;
  uint64_t next_file_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  bool has_comparator_ = false;
  bool has_log_number_ = false;
  bool has_next_file_number_ = false;
  bool has_last_sequence_ = false;

  std::vector<std::pair<int, InternalKey>> compact_pointers_;
  std::set<std::pair<int, uint64_t>> deleted_files_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
};

}  // namespace strata
