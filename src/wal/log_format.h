// The log format shared by the write-ahead log (WAL) and the MANIFEST
// (docs/format.md Part II "Log files"). The constants below are persisted: frozen.
//
// A log file is a sequence of 32 KiB blocks. Each block holds records; a record is
//
//   checksum : fixed32  — Checksum32(type byte | payload, seed = kChecksumSeed)
//   length   : fixed16  — payload bytes
//   type     : uint8    — RecordType
//   payload  : length bytes
//
// A logical record too long for the rest of a block is split into a kFirst, zero or more kMiddle
// and a kLast fragment. A block tail shorter than a header is zero-filled and skipped.
// The first logical record of every log file is a file header (kFileHeader): magic, format
// version, file kind and file number.
#pragma once

#include <cstdint>

namespace strata::log {

enum RecordType : uint8_t {
  kZeroType = 0,  // never written; zero-filled space reads as an invalid record
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
inline constexpr int kMaxRecordType = kLastType;

inline constexpr int kBlockSize = 32768;
inline constexpr int kHeaderSize = 4 + 2 + 1;

// Seed of every record checksum: the magic bytes "STRATALG" read as a big-endian integer. A seed
// of its own keeps a log record from checksumming correctly as any other kind of strata data.
inline constexpr uint64_t kChecksumSeed = 0x5354524154414C47;

// File header payload: "STRATALG" | fixed32 format_version | uint8 kind | fixed64 file_number.
inline constexpr char kFileMagic[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'L', 'G'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr int kFileHeaderSize = 8 + 4 + 1 + 8;

enum class LogKind : uint8_t {
  kWal = 1,
  kManifest = 2,
};

}  // namespace strata::log
