// log::Reader reads the records of a log file (WAL or MANIFEST) written by log::Writer.
//
// Every physical record's checksum is verified. The reader distinguishes:
//  - the clean end of the file;
//  - a torn or garbage tail: from some offset on, nothing more can be read as a valid record
//    (truncated header or payload, bad checksum, zero fill, a fragment sequence cut short);
//  - damage in the middle: an invalid region followed by at least one valid record.
// ReadRecord returns false at the end of readable records; status() then says which case
// occurred: ok for a clean end, or a Corruption naming the file and offset of the first invalid
// byte. tail_is_torn() is true when the only problem is a torn/garbage tail (nothing valid after
// the first invalid byte), which WAL recovery of the newest log treats as the end of the log.
// When a fragmented record cannot be completed, its first fragment counts as the first invalid
// byte: the offset is always where the valid prefix of the log ends.
// After damage the reader looks for a valid physical record where the writer could have put one,
// as far as the bytes tell: right after a damaged record whose header still gives a length that
// fits its block, at every byte after a header that does not, and at every block start; a
// "record" met during that search says nothing of where the next one starts. The payload of the
// record due where reading stopped, when the end of the file cuts it short, is never searched in
// a WAL: it may be user data that looks like a record. The checksum does not cover the length
// field, so a record whose checksum matches at a length one bit away from the stored one is
// taken to have a damaged length, and to end there (docs/format.md §3.4).
//
// The file header (first record) is checked: a wrong magic, kind or file number is Corruption;
// a newer format version is NotSupported. A file too short to hold a whole header is an empty
// log with a torn tail.
//
// Thread safety: one thread at a time. The SequentialFile must outlive the Reader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "strata/file_system.h"
#include "strata/status.h"
#include "wal/log_format.h"

namespace strata::log {

class Reader {
 public:
  // file_name is used in error messages only.
  Reader(SequentialFile* file, std::string file_name, LogKind kind, uint64_t file_number);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  // Reads the next logical record into *record (which may point into *scratch, valid until the
  // next call). Returns false when no further valid record can be read; see status().
  bool ReadRecord(std::string_view* record, std::string* scratch);

  // Ok, or the first error: Corruption (file, offset), NotSupported (format version), IOError.
  const Status& status() const { return status_; }
  // True if reading stopped at a torn/garbage tail (status() is then a Corruption whose offset is
  // where the tail starts): nothing valid follows it.
  bool tail_is_torn() const { return tail_is_torn_; }
  // File offset just past the last record returned by ReadRecord (just past the file header
  // before any record has been returned; 0 if not even the header could be read).
  uint64_t LastRecordEndOffset() const { return last_record_end_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Status status_;
  bool tail_is_torn_ = false;
  uint64_t last_record_end_ = 0;
};

}  // namespace strata::log
