#include "wal/log_reader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "util/checksum.h"
#include "util/coding.h"

namespace strata::log {

namespace {

// What ParseAt found at one position of a block.
struct Parsed {
  enum Verdict { kValid, kEndOfBlock, kBad };
  Verdict verdict = kBad;
  RecordType type = kZeroType;
  std::string_view payload;  // kValid
  // kValid: the position after the record. kBad: the next position where a valid record could
  // start, used when looking for valid data after damage.
  size_t next = 0;
  const char* reason = "";  // kBad
};

Parsed Bad(const char* reason, size_t next) {
  Parsed p;
  p.reason = reason;
  p.next = next;
  return p;
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

bool IsKnownType(uint8_t type) { return type >= kFullType && type <= kMaxRecordType; }

// The first position after pos where a record could start, given only that a record's type byte
// (its 7th) holds a known type: the same answer as trying every position, in one pass over long
// runs of zeros or garbage.
size_t NextCandidate(std::string_view block, size_t pos) {
  size_t type_pos = pos + kHeaderSize;
  while (type_pos < block.size()) {
    uint64_t word = 1;
    if (block.size() - type_pos >= sizeof(word)) {
      std::memcpy(&word, block.data() + type_pos, sizeof(word));
    }
    if (word == 0) {  // zero fill, the usual damaged tail: 8 bytes at a time
      type_pos += sizeof(word);
    } else if (IsKnownType(static_cast<uint8_t>(block[type_pos]))) {
      break;
    } else {
      type_pos++;
    }
  }
  return std::min(type_pos, block.size()) - (kHeaderSize - 1);
}

// For a record whose checksum fails at its stored length: the number of bytes (type byte and
// payload) the checksum really covers, if that is length' + 1 for a length' one bit away from the
// stored length and fitting in `rest` (the block from the type byte on); else 0.
size_t TrueCoveredSize(std::string_view rest, size_t length, uint32_t checksum) {
  std::array<size_t, 16> sizes;
  size_t n = 0;
  for (int bit = 0; bit < 16; bit++) {
    const size_t candidate = (length ^ (size_t{1} << bit)) + 1;
    if (candidate <= rest.size()) sizes[n++] = candidate;
  }
  std::sort(sizes.begin(), sizes.begin() + static_cast<ptrdiff_t>(n));
  const size_t covered = FindChecksummedPrefix(rest, kChecksumSeed, checksum,
                                               std::span<const size_t>(sizes.data(), n));
  return covered <= rest.size() ? covered : 0;
}

// Examines the bytes at block[pos..]. `complete` is false for the last, short block of the file.
// `trusted_payloads`: payloads are written by strata itself (MANIFEST), so the bytes of a record
// cut short by the end of the file may be searched for valid records. `expected`: a record is
// due here (not a position tried while looking past damage). Never reads outside `block`.
Parsed ParseAt(std::string_view block, size_t pos, bool complete, bool trusted_payloads,
               bool expected) {
  const size_t avail = block.size() - pos;
  if (avail < static_cast<size_t>(kHeaderSize)) {
    // A complete block ends in a zero-filled trailer when a header no longer fits; a short
    // block that ends with a partial header was cut short.
    if (complete ? AllZero(block.substr(pos)) : avail == 0) {
      Parsed p;
      p.verdict = Parsed::kEndOfBlock;
      p.next = block.size();
      return p;
    }
    return Bad(complete ? "non-zero block trailer" : "truncated record header", block.size());
  }
  const char* header = block.data() + pos;
  const uint32_t expected_crc = DecodeFixed32(header);
  const size_t length =
      static_cast<uint8_t>(header[4]) | (size_t{static_cast<uint8_t>(header[5])} << 8);
  const auto type = static_cast<uint8_t>(header[6]);
  if (!IsKnownType(type)) {
    const bool zeros = expected_crc == 0 && length == 0 && type == kZeroType;
    return Bad(zeros ? "zero-filled region" : "bad record type", NextCandidate(block, pos));
  }
  const size_t end = pos + kHeaderSize + length;
  const bool fits = end <= block.size();
  const bool checksum_ok =
      fits && Checksum32(block.substr(pos + 6, 1 + length), kChecksumSeed) == expected_crc;
  if (expected && !checksum_ok) {
    // The checksum does not cover the length field. If it matches the record's bytes at a
    // length one flipped bit away from the stored one, only the length was damaged: the record
    // really ends there, and whatever follows is judged as usual. Otherwise a damaged length
    // could pass for a torn final write (running past the end of the file) or skip over the
    // records after it, and lose them silently.
    const size_t covered = TrueCoveredSize(block.substr(pos + 6), length, expected_crc);
    if (covered != 0) return Bad("damaged record length", pos + 6 + covered);
  }
  if (!fits) {
    // In a short block this is what a torn write leaves behind. In a WAL its payload bytes are
    // not examined as candidate records: they may be user data that looks like a record. In a
    // MANIFEST they are, so that a damaged length field followed by valid records is reported
    // as damage, not mistaken for a torn tail that would silently drop the later edits. While
    // looking past damage, the bytes here are not known to be a record at all: its claimed
    // length means nothing, and the search goes on at the next position.
    if (!complete) {
      return Bad("truncated record",
                 trusted_payloads || !expected ? NextCandidate(block, pos) : block.size());
    }
    return Bad("record length exceeds block", NextCandidate(block, pos));
  }
  // A record due here whose checksum fails has a header intact enough to say where the next
  // record starts; a position tried while looking past damage has not.
  if (!checksum_ok) return Bad("bad record checksum", expected ? end : NextCandidate(block, pos));
  Parsed p;
  p.verdict = Parsed::kValid;
  p.type = static_cast<RecordType>(type);
  p.payload = block.substr(pos + kHeaderSize, length);
  p.next = end;
  return p;
}

// Appends a fragment, growing geometrically so that a record of many fragments costs linear
// time. Only bytes already read and checksummed are ever allocated for.
void AppendFragment(std::string* scratch, std::string_view fragment) {
  const size_t needed = scratch->size() + fragment.size();
  if (needed > scratch->capacity()) scratch->reserve(std::max(needed, 2 * scratch->capacity()));
  scratch->append(fragment);
}

}  // namespace

struct Reader::Impl {
  // One physical record, or the damage found where one was expected.
  struct Physical {
    RecordType type = kZeroType;
    std::string_view payload;
    uint64_t offset = 0;  // file offset of the record (or of the damage)
    uint64_t end = 0;     // file offset just past the record
    const char* reason = "";
    size_t resume = 0;  // in-block position where to look for valid data after damage
  };
  enum class Next { kRecord, kEof, kBad, kError };

  Impl(SequentialFile* f, std::string name, LogKind k, uint64_t number)
      : file(f),
        file_name(std::move(name)),
        kind(k),
        file_number(number),
        backing(std::make_unique_for_overwrite<char[]>(kBlockSize)) {}

  bool ReadHeader(std::string* scratch);
  Status CheckHeader(std::string_view header) const;
  bool ReadLogical(std::string_view* record, std::string* scratch);
  Next NextPhysical(Physical* rec);
  Status ReadBlock();
  bool FindValidRecord(size_t from, Status* io_error);
  // Ends reading with a Corruption "<what> at offset <offset><detail>".
  void Fail(uint64_t offset, std::string_view what, bool torn, std::string_view detail = {});
  // Same, after looking past the damage for valid data to tell a torn tail from mid-file damage.
  void FailAfterDamage(uint64_t offset, std::string_view what, std::string_view detail,
                       size_t resume);

  SequentialFile* const file;
  const std::string file_name;
  const LogKind kind;
  const uint64_t file_number;
  const std::unique_ptr<char[]> backing;  // kBlockSize bytes for SequentialFile::Read

  std::string_view block;    // the current block; shorter than kBlockSize only at the end
  uint64_t block_start = 0;  // file offset of block
  size_t pos = 0;            // position in block of the next physical record
  bool eof = false;          // block is the last one of the file

  bool header_read = false;
  bool done = false;  // ReadRecord returns false from now on
  Status status;
  bool tail_is_torn = false;
  uint64_t last_record_end = 0;
};

Status Reader::Impl::ReadBlock() {
  block_start += block.size();
  pos = 0;
  Status s = file->Read(kBlockSize, &block, backing.get());
  if (!s.ok()) {
    block = {};
    return s.WithContext(file_name + ": read at offset " + std::to_string(block_start));
  }
  if (block.size() > static_cast<size_t>(kBlockSize)) {
    block = {};
    return Status::IOError(file_name, "read returned more bytes than requested");
  }
  if (block.size() < static_cast<size_t>(kBlockSize)) eof = true;
  return Status::OK();
}

Reader::Impl::Next Reader::Impl::NextPhysical(Physical* rec) {
  for (;;) {
    if (pos >= block.size()) {
      if (eof) return Next::kEof;
      Status s = ReadBlock();
      if (!s.ok()) {
        status = s;
        return Next::kError;
      }
      continue;
    }
    const Parsed p = ParseAt(block, pos, block.size() == static_cast<size_t>(kBlockSize),
                             kind == LogKind::kManifest, /*expected=*/true);
    rec->offset = block_start + pos;
    switch (p.verdict) {
      case Parsed::kEndOfBlock:
        pos = block.size();
        continue;
      case Parsed::kBad:
        rec->reason = p.reason;
        rec->resume = p.next;
        return Next::kBad;
      case Parsed::kValid:
        rec->type = p.type;
        rec->payload = p.payload;
        pos = p.next;
        rec->end = block_start + pos;
        return Next::kRecord;
    }
  }
}

// Looks for any valid physical record at or after position `from` of the current block, reading
// further blocks as needed. Every step moves forward, so this ends at the end of the file.
bool Reader::Impl::FindValidRecord(size_t from, Status* io_error) {
  pos = from;
  for (;;) {
    if (pos >= block.size()) {
      if (eof) return false;
      *io_error = ReadBlock();
      if (!io_error->ok()) return false;
      continue;
    }
    const Parsed p = ParseAt(block, pos, block.size() == static_cast<size_t>(kBlockSize),
                             kind == LogKind::kManifest, /*expected=*/false);
    if (p.verdict == Parsed::kValid) return true;
    pos = p.next;
  }
}

void Reader::Impl::Fail(uint64_t offset, std::string_view what, bool torn,
                        std::string_view detail) {
  std::string msg(what);
  msg.append(" at offset ").append(std::to_string(offset)).append(detail);
  status = Status::Corruption(file_name, msg);
  tail_is_torn = torn;
  done = true;
}

void Reader::Impl::FailAfterDamage(uint64_t offset, std::string_view what, std::string_view detail,
                                   size_t resume) {
  Status io_error;
  const bool valid_data_follows = FindValidRecord(resume, &io_error);
  if (!io_error.ok()) {
    // Whether the damage is a torn tail is unknown; the read error is the more serious fact.
    status = io_error;
    tail_is_torn = false;
    done = true;
    return;
  }
  Fail(offset, what, !valid_data_follows, detail);
}

bool Reader::Impl::ReadLogical(std::string_view* record, std::string* scratch) {
  bool fragmented = false;
  uint64_t record_start = 0;
  Physical rec;
  for (;;) {
    switch (NextPhysical(&rec)) {
      case Next::kError:
        done = true;
        return false;
      case Next::kEof:
        if (fragmented) {
          Fail(record_start, "incomplete fragmented record at end of file", /*torn=*/true);
        } else {
          done = true;
        }
        return false;
      case Next::kBad:
        if (fragmented) {
          FailAfterDamage(record_start, rec.reason,
                          " (in its fragment at offset " + std::to_string(rec.offset) + ")",
                          rec.resume);
        } else {
          FailAfterDamage(rec.offset, rec.reason, "", rec.resume);
        }
        return false;
      case Next::kRecord:
        break;
    }
    if (rec.type == kFullType || rec.type == kFirstType) {
      if (fragmented) {
        // The new record is valid data after the damage, so this is not a torn tail.
        Fail(record_start, "fragmented record interrupted by a new record", /*torn=*/false);
        return false;
      }
      if (rec.type == kFullType) {
        *record = rec.payload;
        last_record_end = rec.end;
        return true;
      }
      fragmented = true;
      record_start = rec.offset;
      scratch->assign(rec.payload);
      continue;
    }
    // kMiddleType or kLastType.
    if (!fragmented) {
      Fail(rec.offset, "fragment without a first fragment", /*torn=*/false);
      return false;
    }
    AppendFragment(scratch, rec.payload);
    if (rec.type == kLastType) {
      *record = *scratch;
      last_record_end = rec.end;
      return true;
    }
  }
}

Status Reader::Impl::CheckHeader(std::string_view header) const {
  const auto bad = [this](const std::string& what) {
    return Status::Corruption(file_name, "file header at offset 0: " + what);
  };
  if (header.size() < sizeof(kFileMagic) ||
      std::memcmp(header.data(), kFileMagic, sizeof(kFileMagic)) != 0) {
    return bad("bad magic");
  }
  if (header.size() < 12) return bad("truncated");
  const uint32_t version = DecodeFixed32(header.data() + 8);
  if (version == 0) return bad("bad format version 0");
  if (version > kFormatVersion) {
    return Status::NotSupported(file_name, "log format version " + std::to_string(version) +
                                               " is newer than the supported version " +
                                               std::to_string(kFormatVersion));
  }
  if (header.size() != static_cast<size_t>(kFileHeaderSize)) {
    return bad("bad length " + std::to_string(header.size()));
  }
  const auto found_kind = static_cast<uint8_t>(header[12]);
  if (found_kind != static_cast<uint8_t>(kind)) {
    return bad("file kind " + std::to_string(found_kind) + ", expected " +
               std::to_string(static_cast<int>(kind)));
  }
  const uint64_t found_number = DecodeFixed64(header.data() + 13);
  if (found_number != file_number) {
    return bad("file number " + std::to_string(found_number) + ", expected " +
               std::to_string(file_number));
  }
  return Status::OK();
}

bool Reader::Impl::ReadHeader(std::string* scratch) {
  std::string_view header;
  // A clean end here means a 0-byte file: an empty log (the header is written with the first
  // record).
  if (!ReadLogical(&header, scratch)) return false;
  Status s = CheckHeader(header);
  if (!s.ok()) {
    last_record_end = 0;
    status = std::move(s);
    done = true;
    return false;
  }
  header_read = true;
  return true;
}

Reader::Reader(SequentialFile* file, std::string file_name, LogKind kind, uint64_t file_number)
    : impl_(std::make_unique<Impl>(file, std::move(file_name), kind, file_number)) {}

Reader::~Reader() = default;

bool Reader::ReadRecord(std::string_view* record, std::string* scratch) {
  Impl& r = *impl_;
  const bool got =
      !r.done && (r.header_read || r.ReadHeader(scratch)) && r.ReadLogical(record, scratch);
  last_record_end_ = r.last_record_end;
  if (!got) {
    status_ = r.status;
    tail_is_torn_ = r.tail_is_torn;
  }
  return got;
}

}  // namespace strata::log
