// log::Writer appends records to a log file (WAL or MANIFEST) in the format of log_format.h.
//
// The first AddRecord also writes the file header. AddRecord appends to the file (which may
// buffer); callers Flush() the file to hand data to the OS and Sync() for durability.
// Once an Append fails the writer is broken: every later call returns that error.
//
// Thread safety: one thread at a time. The WritableFile must outlive the Writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/file_system.h"
#include "strata/status.h"
#include "wal/log_format.h"

namespace strata::log {

class Writer {
 public:
  // dest must be empty (a new file).
  Writer(WritableFile* dest, LogKind kind, uint64_t file_number);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends one logical record (any length, including zero).
  Status AddRecord(std::string_view payload);

  WritableFile* file() const { return dest_; }
  // Bytes written to the file so far.
  uint64_t FileSize() const { return dest_->Size(); }

 private:
  // Appends one logical record's physical records to buffer_, handing full chunks to dest_.
  Status AddRecordRaw(std::string_view payload);
  Status EmitPhysicalRecord(RecordType type, const char* ptr, size_t length);
  Status FlushBuffer();

  WritableFile* const dest_;
  const LogKind kind_;
  const uint64_t file_number_;
  bool header_written_ = false;
  int block_offset_ = 0;  // offset within the current block
  // Physical records not yet appended to dest_. Reused so that the steady state allocates
  // nothing; bounded by kMaxBufferedBytes so that huge records do not double their footprint.
  std::string buffer_;
  Status error_;
};

}  // namespace strata::log
