#include "sst/format.h"

#include <cstring>

#include "sst/compression.h"

namespace strata {
namespace {

std::string Where(uint64_t offset, uint64_t size) {
  return "at offset " + std::to_string(offset) + " (size " + std::to_string(size) + ")";
}

}  // namespace

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset_);
  PutVarint64(dst, size_);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  return GetVarint64(input, &offset_) && GetVarint64(input, &size_);
}

void Footer::EncodeTo(std::string* dst, uint64_t footer_offset) const {
  const size_t start = dst->size();
  dst->append(4, '\0');  // checksum, filled in below
  dst->push_back(static_cast<char>(checksum_type));
  const size_t handles_start = dst->size();
  metaindex_handle.EncodeTo(dst);
  index_handle.EncodeTo(dst);
  dst->resize(handles_start + kHandlesLength, '\0');
  PutFixed32(dst, format_version);
  dst->append(kSstMagic, sizeof(kSstMagic));
  const uint32_t crc =
      Checksum32(std::string_view(dst->data() + start + 4, kEncodedLength - 4), footer_offset);
  EncodeFixed32(dst->data() + start, crc);
}

Status Footer::DecodeFrom(std::string_view input, uint64_t footer_offset) {
  if (input.size() != kEncodedLength) {
    return Status::Corruption("not an SST file (too short for a footer)");
  }
  // Check the magic first so that a file of another kind gets the clearest message; then the
  // version and checksum type, whose meaning may change how the rest must be read.
  const char* p = input.data();
  if (std::memcmp(p + kEncodedLength - sizeof(kSstMagic), kSstMagic, sizeof(kSstMagic)) != 0) {
    return Status::Corruption("not an SST file (bad magic number)");
  }
  format_version = DecodeFixed32(p + 5 + kHandlesLength);
  if (format_version == 0) return Status::Corruption("bad SST format version 0");
  if (format_version > kSstFormatVersion) {
    return Status::NotSupported("SST format version " + std::to_string(format_version) +
                                " is newer than this strata supports (" +
                                std::to_string(kSstFormatVersion) + ")");
  }
  const auto type = static_cast<uint8_t>(p[4]);
  if (type != static_cast<uint8_t>(ChecksumType::kXXH3)) {
    return Status::NotSupported("unknown SST checksum type " + std::to_string(type));
  }
  checksum_type = ChecksumType::kXXH3;
  if (DecodeFixed32(p) != Checksum32(input.substr(4), footer_offset)) {
    return Status::Corruption("footer checksum mismatch at offset " +
                              std::to_string(footer_offset));
  }
  std::string_view handles = input.substr(5, kHandlesLength);
  if (!metaindex_handle.DecodeFrom(&handles) || !index_handle.DecodeFrom(&handles)) {
    return Status::Corruption("malformed block handles in footer");
  }
  for (const char c : handles) {
    if (c != '\0') return Status::Corruption("non-zero footer padding");
  }
  return Status::OK();
}

Status ReadBlock(const BlockSource& source, const BlockHandle& handle, bool verify_checksum,
                 BlockContents* result) {
  const uint64_t offset = handle.offset();
  const uint64_t size = handle.size();
  const uint64_t end = source.blocks_end;
  // Written so that no sum can overflow: every term is checked against what is left.
  if (offset > end || size > end - offset || end - offset - size < kBlockTrailerSize) {
    return Status::Corruption(source.file_name, "block handle out of range " + Where(offset, size) +
                                                    "; blocks end at " + std::to_string(end));
  }
  const auto n = static_cast<size_t>(size + kBlockTrailerSize);
  // A memory-mapped file hands out views of its own memory: no buffer needed.
  const bool mapped = source.file->IsMemoryMapped();
  std::unique_ptr<char[]> buf;
  if (!mapped) buf = std::make_unique_for_overwrite<char[]>(n);
  std::string_view got;
  Status s = source.file->Read(offset, n, &got, buf.get());
  if (!s.ok()) {
    return s.WithContext(std::string(source.file_name) + ": reading block " + Where(offset, size));
  }
  if (got.size() != n) {
    return Status::Corruption(source.file_name, "truncated block read " + Where(offset, size));
  }
  const auto type = static_cast<uint8_t>(got[size]);
  // Compressed blocks are verified even when the caller opts out: the checksum costs a fraction
  // of decompressing, and it keeps damaged input (and its size claims) away from the codecs.
  if (verify_checksum || type != static_cast<uint8_t>(CompressionType::kNone)) {
    const uint32_t stored = DecodeFixed32(got.data() + size + 1);
    if (stored != BlockChecksum(got.substr(0, size + 1), offset)) {
      return Status::Corruption(source.file_name, "block checksum mismatch " + Where(offset, size));
    }
  }
  if (type == static_cast<uint8_t>(CompressionType::kNone)) {
    if (mapped) {
      // In place: the mapping lives as long as the file (and so its Table); the caller must not
      // let the block outlive the table (e.g. by caching it).
      result->data = got.substr(0, static_cast<size_t>(size));
      result->heap.reset();
      return Status::OK();
    }
    // The file may hand back its own memory; blocks outlive reads (block cache), so own a copy.
    if (got.data() != buf.get()) std::memcpy(buf.get(), got.data(), static_cast<size_t>(size));
    result->data = std::string_view(buf.get(), static_cast<size_t>(size));
    result->heap = std::move(buf);
    return Status::OK();
  }
  s = UncompressBlock(type, got.substr(0, size), result);
  if (!s.ok()) {
    return s.WithContext(std::string(source.file_name) + ": block " + Where(offset, size));
  }
  return Status::OK();
}

}  // namespace strata
