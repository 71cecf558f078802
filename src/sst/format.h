// The byte-level building blocks of an SST file (docs/format.md (Part III)): block handles, block
// trailers, the footer, and ReadBlock, the one function that turns a handle read from the file
// into verified, uncompressed block contents.
//
//   sst_file := data_block* filter_block? properties_block metaindex_block index_block footer
//   block    := contents | compression_type: uint8 | checksum: fixed32
//
// Every block checksum is Checksum32(contents | compression_type, seed = the block's offset in
// the file), so a block that is intact but read from the wrong place (a stale handle, a
// misdirected write) fails verification just like a damaged one. The footer is checksummed with
// the footer's own offset as the seed.
//
// Thread safety: everything here is stateless or a value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "strata/file_system.h"
#include "strata/options.h"
#include "strata/status.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace strata {

// Bytes after every block's contents: compression type (1) + checksum (4).
inline constexpr size_t kBlockTrailerSize = 5;

// The newest SST format version this code writes and reads. Readers refuse newer versions with
// NotSupported; a change of any persisted byte meaning bumps it.
inline constexpr uint32_t kSstFormatVersion = 1;

// The last 8 bytes of every SST file.
inline constexpr char kSstMagic[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'S', 'T'};

// The largest uncompressed size a compressed block may claim. The builder never compresses a
// block larger than this, so readers can refuse bigger claims without allocating: a block holds
// at most Options::block_size (<= 64 MiB) plus one maximal entry.
inline constexpr uint64_t kMaxUncompressedBlockSize =
    (uint64_t{64} << 20) + kMaxKeySize + kMaxValueSize + 4096;

// Where a block lives: its contents' offset and size in the file (the trailer follows).
class BlockHandle {
 public:
  // Two varint64s.
  static constexpr size_t kMaxEncodedLength = 2 * kMaxVarint64Bytes;

  BlockHandle() = default;
  BlockHandle(uint64_t offset, uint64_t size) : offset_(offset), size_(size) {}

  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }

  void EncodeTo(std::string* dst) const;
  // Consumes a handle from the front of *input; false if it is truncated or malformed.
  bool DecodeFrom(std::string_view* input);

 private:
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

// The fixed-size tail of an SST file: it locates the metaindex and index blocks.
//
//   footer := checksum: fixed32        Checksum32(footer[4..57), seed = footer offset)
//             checksum_type: uint8     ChecksumType of every checksum in the file
//             handles: 40 bytes        metaindex handle | index handle | zero padding
//             format_version: fixed32
//             magic: 8 bytes           kSstMagic
struct Footer {
  static constexpr size_t kHandlesLength = 2 * BlockHandle::kMaxEncodedLength;
  static constexpr size_t kEncodedLength = 4 + 1 + kHandlesLength + 4 + sizeof(kSstMagic);

  BlockHandle metaindex_handle;
  BlockHandle index_handle;
  ChecksumType checksum_type = ChecksumType::kXXH3;
  uint32_t format_version = kSstFormatVersion;

  // Appends exactly kEncodedLength bytes. footer_offset is where they will be written.
  void EncodeTo(std::string* dst, uint64_t footer_offset) const;

  // Decodes the kEncodedLength bytes of input read at footer_offset. Corruption for a bad magic
  // ("not an SST file"), a bad checksum or malformed handles; NotSupported for a newer format
  // version or an unknown checksum type. Messages do not name the file: the caller adds it.
  Status DecodeFrom(std::string_view input, uint64_t footer_offset);
};

// Block contents owned by whoever holds this value.
struct BlockContents {
  std::unique_ptr<char[]> heap;  // owns data's bytes; null when data views a memory-mapped file
  std::string_view data;
};

// Where ReadBlock reads from: the file, its name (for error messages) and the end of the block
// area (the footer's offset); every handle must lie before it.
struct BlockSource {
  const RandomAccessFile* file = nullptr;
  std::string_view file_name;
  uint64_t blocks_end = 0;
};

// Reads the block at handle, verifies its checksum if verify_checksum or if the block is
// compressed, and uncompresses it.
// The handle is bounds-checked against source.blocks_end before anything is allocated. Errors
// name the file and the block's offset, e.g.
//   "Corruption: 000042.sst: block checksum mismatch at offset 8192 (size 4071)".
Status ReadBlock(const BlockSource& source, const BlockHandle& handle, bool verify_checksum,
                 BlockContents* result);

// The checksum stored in a block's trailer. contents_and_type is the block's contents followed by
// its compression type byte (contiguous, as they are in the file); offset is the block's offset.
inline uint32_t BlockChecksum(std::string_view contents_and_type, uint64_t offset) {
  return Checksum32(contents_and_type, offset);
}

}  // namespace strata
