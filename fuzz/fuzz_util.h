// Helpers shared by the fuzz targets (fuzz/*_target.h): invariant checks that abort, a reader
// that turns input bytes into choices, in-memory files over the input, and the checksum fix-ups
// that let a mutated input reach the parsing code behind a checksum.
//
// Everything is header-only so that the fuzzers (built by clang in fuzz/) and
// tests/fuzz_regression_test.cc (built in the normal build) share one copy of the targets
// without a library of their own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sst/block.h"
#include "sst/format.h"
#include "strata/comparator.h"
#include "strata/file_system.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "wal/log_format.h"

namespace strata::fuzz {

// The name of the input being run, printed when an invariant fails (set by the regression test;
// libFuzzer prints the input itself).
inline std::string& CurrentInputName() {
  static std::string name;
  return name;
}

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition,
                                     const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s%s%s%s%s\n", file, line, condition,
               detail.empty() ? "" : " -- ", detail.c_str(),
               CurrentInputName().empty() ? "" : " -- input ", CurrentInputName().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace strata::fuzz

// Aborts (a crash to libFuzzer, a failed test to the regression test) unless cond holds.
#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) ::strata::fuzz::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)
// The same, with a std::string detail computed only on failure.
#define FUZZ_CHECK_MSG(cond, detail)                                             \
  do {                                                                           \
    if (!(cond)) ::strata::fuzz::CheckFailed(__FILE__, __LINE__, #cond, detail); \
  } while (0)

namespace strata::fuzz {

// Consumes input bytes as choices. Reading past the end yields zeros, so every input is usable.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool empty() const { return data_.empty(); }
  size_t remaining() const { return data_.size(); }

  uint8_t U8() {
    if (data_.empty()) return 0;
    const auto b = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return b;
  }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint32_t U32() { return U16() | (uint32_t{U16()} << 16); }
  uint64_t U64() { return U32() | (uint64_t{U32()} << 32); }
  bool Bool() { return (U8() & 1) != 0; }
  // An LEB128 varint of up to 5 bytes (as much of it as there is).
  uint32_t Varint32() {
    uint32_t v = 0;
    for (int shift = 0; shift <= 28 && !empty(); shift += 7) {
      const uint8_t b = U8();
      v |= uint32_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) break;
    }
    return v;
  }
  // A value in [lo, hi], from one byte (or two when the range needs them).
  uint32_t Range(uint32_t lo, uint32_t hi) {
    const uint32_t span = hi - lo + 1;
    const uint32_t v = span <= 256 ? U8() : U16();
    return lo + v % span;
  }
  // Up to n bytes (fewer at the end of the input).
  std::string_view Bytes(size_t n) {
    const std::string_view r = data_.substr(0, std::min(n, data_.size()));
    data_.remove_prefix(r.size());
    return r;
  }
  std::string_view Rest() { return Bytes(data_.size()); }

 private:
  std::string_view data_;
};

// Block contents in a heap allocation of exactly data.size() bytes, so that ASan sees any read
// past the end.
inline BlockContents ExactContents(std::string_view data) {
  BlockContents c;
  c.heap = std::make_unique_for_overwrite<char[]>(std::max<size_t>(data.size(), 1));
  if (!data.empty()) std::memcpy(c.heap.get(), data.data(), data.size());
  c.data = std::string_view(c.heap.get(), data.size());
  return c;
}

// A RandomAccessFile over a copy of some bytes in an exact-size allocation. Reads copy into the
// caller's scratch, or (own_memory) return views of the file's memory, as an mmap-based file may.
class BytesFile final : public RandomAccessFile {
 public:
  explicit BytesFile(std::string_view bytes, bool own_memory = false)
      : contents_(ExactContents(bytes)), own_memory_(own_memory) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    const std::string_view all = contents_.data;
    if (offset >= all.size()) {
      *result = {};
      return Status::OK();
    }
    const std::string_view got = all.substr(static_cast<size_t>(offset), n);
    if (own_memory_) {
      *result = got;
    } else {
      if (!got.empty()) std::memcpy(scratch, got.data(), got.size());
      *result = std::string_view(scratch, got.size());
    }
    return Status::OK();
  }

 private:
  const BlockContents contents_;
  const bool own_memory_;
};

// A SequentialFile over a copy of some bytes (in an exact-size allocation).
class BytesSequentialFile final : public SequentialFile {
 public:
  explicit BytesSequentialFile(std::string_view bytes) : contents_(ExactContents(bytes)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    const std::string_view all = contents_.data;
    const std::string_view got = all.substr(std::min(pos_, all.size()), n);
    if (!got.empty()) std::memcpy(scratch, got.data(), got.size());
    *result = std::string_view(scratch, got.size());
    pos_ += got.size();
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ = static_cast<size_t>(std::min<uint64_t>(contents_.data.size(), pos_ + n));
    return Status::OK();
  }

 private:
  const BlockContents contents_;
  size_t pos_ = 0;
};

// A WritableFile appending to a string.
class StringSink final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    contents_.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return contents_.size(); }
  const std::string& contents() const { return contents_; }

 private:
  std::string contents_;
};

// A bytewise order reversed: a user comparator that is not BytewiseComparator(), so that the
// comparator-generic paths (virtual calls instead of the inlined bytewise compare) are covered.
class ReverseBytewiseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return BytewiseComparator()->Compare(b, a);
  }
  const char* Name() const override { return "strata.fuzz.ReverseBytewise"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

inline const Comparator* ReverseComparator() {
  static const ReverseBytewiseComparator cmp;
  return &cmp;
}

// ---- Checksum fix-ups -------------------------------------------------------------------------
// Mutated inputs almost always fail a checksum, which hides the parsers behind it. In "fix-up"
// mode a target first recomputes the checksums its parser verifies (docs/format.md), so that
// mutations reach the parsing code.

// Recomputes the checksum of every physical log record that parses as one (a known type and a
// length that fits its block), block by block. A record whose header does not parse ends the
// fix-up of its block.
inline void FixLogChecksums(std::string* file) {
  const size_t block_size = static_cast<size_t>(log::kBlockSize);
  const size_t header_size = static_cast<size_t>(log::kHeaderSize);
  for (size_t block = 0; block < file->size(); block += block_size) {
    const size_t end = std::min(file->size(), block + block_size);
    size_t pos = block;
    while (end - pos >= header_size) {
      char* header = file->data() + pos;
      const size_t length =
          static_cast<uint8_t>(header[4]) | (size_t{static_cast<uint8_t>(header[5])} << 8);
      const auto type = static_cast<uint8_t>(header[6]);
      if (type < log::kFullType || type > log::kMaxRecordType || length > end - pos - header_size) {
        break;
      }
      EncodeFixed32(header,
                    Checksum32(std::string_view(header + 6, 1 + length), log::kChecksumSeed));
      pos += header_size + length;
    }
  }
}

// Reads a table's bytes while they are being fixed up (no copy: the fix-up edits them in place).
class StringViewFile final : public RandomAccessFile {
 public:
  explicit StringViewFile(const std::string* bytes) : bytes_(bytes) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    const std::string_view all = *bytes_;
    const std::string_view got =
        offset >= all.size() ? std::string_view() : all.substr(static_cast<size_t>(offset), n);
    if (!got.empty()) std::memcpy(scratch, got.data(), got.size());
    *result = std::string_view(scratch, got.size());
    return Status::OK();
  }

 private:
  const std::string* const bytes_;
};

// Recomputes the trailer checksum of the block at handle, if the handle lies before blocks_end.
inline void FixBlockTrailer(std::string* file, const BlockHandle& handle, uint64_t blocks_end) {
  const uint64_t offset = handle.offset();
  const uint64_t size = handle.size();
  if (offset > blocks_end || size > blocks_end - offset ||
      blocks_end - offset - size < kBlockTrailerSize) {
    return;
  }
  const std::string_view covered(file->data() + offset, static_cast<size_t>(size) + 1);
  EncodeFixed32(file->data() + offset + size + 1, BlockChecksum(covered, offset));
}

// Makes an SST's footer well-formed (magic, checksum type, format version, checksum) and
// recomputes the trailer checksums of every block it reaches: metaindex, filter, properties,
// index, and the data blocks the index names (at most max_data_blocks of them).
inline void FixTableChecksums(std::string* file, const InternalKeyComparator* icmp,
                              size_t max_data_blocks = 4096) {
  if (file->size() < Footer::kEncodedLength) return;
  const uint64_t footer_offset = file->size() - Footer::kEncodedLength;
  char* f = file->data() + footer_offset;
  f[4] = static_cast<char>(ChecksumType::kXXH3);
  const uint32_t version = DecodeFixed32(f + 5 + Footer::kHandlesLength);
  if (version == 0 || version > kSstFormatVersion) {
    EncodeFixed32(f + 5 + Footer::kHandlesLength, kSstFormatVersion);
  }
  std::memcpy(f + Footer::kEncodedLength - sizeof(kSstMagic), kSstMagic, sizeof(kSstMagic));
  EncodeFixed32(f, Checksum32(std::string_view(f + 4, Footer::kEncodedLength - 4), footer_offset));
  Footer footer;
  if (!footer.DecodeFrom(std::string_view(f, Footer::kEncodedLength), footer_offset).ok()) return;

  StringViewFile view(file);
  const BlockSource source{&view, "fuzz.sst", footer_offset};
  // Reads a block after fixing its trailer, or returns null.
  auto read_fixed = [&](const BlockHandle& handle) -> std::unique_ptr<Block> {
    FixBlockTrailer(file, handle, footer_offset);
    BlockContents contents;
    if (!ReadBlock(source, handle, /*verify_checksum=*/true, &contents).ok()) return nullptr;
    auto block = std::make_unique<Block>(std::move(contents));
    if (!block->status().ok()) return nullptr;
    return block;
  };
  auto decode_handle = [](std::string_view encoded, BlockHandle* handle) {
    return handle->DecodeFrom(&encoded) && encoded.empty();
  };

  std::vector<BlockHandle> meta_blocks;
  if (std::unique_ptr<Block> metaindex = read_fixed(footer.metaindex_handle)) {
    BlockIter it(BytewiseComparator(), metaindex.get());
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      BlockHandle handle;
      if (decode_handle(it.value(), &handle)) meta_blocks.push_back(handle);
    }
  }
  std::vector<BlockHandle> data_blocks;
  if (std::unique_ptr<Block> index = read_fixed(footer.index_handle)) {
    BlockIter it(icmp, index.get());
    for (it.SeekToFirst(); it.Valid() && data_blocks.size() < max_data_blocks; it.Next()) {
      BlockHandle handle;
      if (decode_handle(it.value(), &handle)) data_blocks.push_back(handle);
    }
  }
  for (const BlockHandle& h : data_blocks) FixBlockTrailer(file, h, footer_offset);
  // Blocks may overlap in a mutated file: fix the ones Open reads last, so that they win.
  for (const BlockHandle& h : meta_blocks) FixBlockTrailer(file, h, footer_offset);
  FixBlockTrailer(file, footer.metaindex_handle, footer_offset);
  FixBlockTrailer(file, footer.index_handle, footer_offset);
}

}  // namespace strata::fuzz
