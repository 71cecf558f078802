#include "wal/log_writer.h"

#include <algorithm>
#include <cassert>

#include "util/checksum.h"
#include "util/coding.h"

namespace strata::log {

namespace {

// Records up to about this size reach the file in a single Append (one write system call for an
// unbuffered file); larger ones are appended in chunks of this size so the writer never holds a
// second copy of a huge record.
constexpr size_t kMaxBufferedBytes = 256 * 1024;

}  // namespace

Writer::Writer(WritableFile* dest, LogKind kind, uint64_t file_number)
    : dest_(dest), kind_(kind), file_number_(file_number) {
  assert(dest_->Size() == 0);
}

Status Writer::AddRecord(std::string_view payload) {
  if (!error_.ok()) return error_;
  buffer_.clear();
  Status s;
  if (!header_written_) {
    char header[kFileHeaderSize];
    std::copy(std::begin(kFileMagic), std::end(kFileMagic), header);
    EncodeFixed32(header + 8, kFormatVersion);
    header[12] = static_cast<char>(kind_);
    EncodeFixed64(header + 13, file_number_);
    s = AddRecordRaw(std::string_view(header, sizeof(header)));
    header_written_ = true;
  }
  if (s.ok()) s = AddRecordRaw(payload);
  if (s.ok()) s = FlushBuffer();
  return s;
}

Status Writer::AddRecordRaw(std::string_view payload) {
  const char* ptr = payload.data();
  size_t left = payload.size();
  bool begin = true;
  // Runs at least once: an empty payload still yields one (empty) kFullType record.
  do {
    const int leftover = kBlockSize - block_offset_;
    if (leftover < kHeaderSize) {
      buffer_.append(static_cast<size_t>(leftover), '\0');
      block_offset_ = 0;
    }
    const size_t avail = static_cast<size_t>(kBlockSize - block_offset_ - kHeaderSize);
    const size_t fragment = std::min(left, avail);
    const bool end = (fragment == left);
    RecordType type;
    if (begin && end) {
      type = kFullType;
    } else if (begin) {
      type = kFirstType;
    } else if (end) {
      type = kLastType;
    } else {
      type = kMiddleType;
    }
    Status s = EmitPhysicalRecord(type, ptr, fragment);
    if (!s.ok()) return s;
    ptr += fragment;
    left -= fragment;
    begin = false;
  } while (left > 0);
  return Status::OK();
}

Status Writer::EmitPhysicalRecord(RecordType type, const char* ptr, size_t length) {
  assert(length <= 0xffff);
  assert(block_offset_ + kHeaderSize + static_cast<int>(length) <= kBlockSize);
  if (buffer_.size() + kHeaderSize + length > kMaxBufferedBytes) {
    Status s = FlushBuffer();
    if (!s.ok()) return s;
  }
  const size_t start = buffer_.size();
  char header[kHeaderSize] = {};
  header[4] = static_cast<char>(length & 0xff);
  header[5] = static_cast<char>(length >> 8);
  header[6] = static_cast<char>(type);
  buffer_.append(header, kHeaderSize);
  buffer_.append(ptr, length);
  // The checksum covers the type byte and the payload, which sit side by side in buffer_.
  const uint32_t crc =
      Checksum32(std::string_view(buffer_.data() + start + 6, 1 + length), kChecksumSeed);
  EncodeFixed32(buffer_.data() + start, crc);
  block_offset_ += kHeaderSize + static_cast<int>(length);
  return Status::OK();
}

Status Writer::FlushBuffer() {
  if (buffer_.empty()) return Status::OK();
  Status s = dest_->Append(buffer_);
  buffer_.clear();
  if (!s.ok()) error_ = s;
  return s;
}

}  // namespace strata::log
