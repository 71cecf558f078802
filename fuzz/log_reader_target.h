// log_reader_fuzzer: log::Reader (wal/log_reader.h), the reader of WAL and MANIFEST files, on
// arbitrary file bytes.
//
// Input: mode | file bytes.
//   mode bit 0: recompute the checksum of every record that parses (FixLogChecksums), so that
//               mutations reach fragment reassembly, the file header checks and resynchronization;
//   mode bit 1: the file is a MANIFEST (else a WAL). The expected file number is always
//               kLogFuzzFileNumber (the seeds are written with it).
//
// Invariants: reading ends (at most one logical record per header's worth of bytes), then keeps
// returning false; record end offsets never decrease and stay within the file; a torn tail is a
// Corruption; the records read, written again with log::Writer, read back identically and
// cleanly; and the file cut at LastRecordEndOffset() reads back as exactly the same records with
// a clean end (the prefix that WAL recovery keeps is self-consistent).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace strata::fuzz {

inline constexpr uint8_t kLogModeFixChecksums = 1;
inline constexpr uint8_t kLogModeManifest = 2;
inline constexpr uint64_t kLogFuzzFileNumber = 7;

struct LogReadResult {
  std::vector<std::string> records;
  Status status;
  bool torn = false;
  uint64_t last_end = 0;
};

inline LogReadResult ReadAllLogRecords(std::string_view bytes, log::LogKind kind) {
  LogReadResult r;
  BytesSequentialFile file(bytes);
  log::Reader reader(&file, "fuzz.log", kind, kLogFuzzFileNumber);
  std::string scratch;
  std::string_view record;
  size_t payload_bytes = 0;
  const size_t max_records = bytes.size() / log::kHeaderSize + 1;
  while (reader.ReadRecord(&record, &scratch)) {
    FUZZ_CHECK_MSG(r.records.size() < max_records, "more records than the file can hold");
    payload_bytes += record.size();
    FUZZ_CHECK(payload_bytes <= bytes.size());
    const uint64_t end = reader.LastRecordEndOffset();
    FUZZ_CHECK_MSG(end >= r.last_end && end <= bytes.size(),
                   "record end " + std::to_string(end) + " after " + std::to_string(r.last_end) +
                       " in a file of " + std::to_string(bytes.size()) + " bytes");
    r.last_end = end;
    r.records.emplace_back(record);
  }
  FUZZ_CHECK(!reader.ReadRecord(&record, &scratch));  // the end is sticky
  r.status = reader.status();
  r.torn = reader.tail_is_torn();
  FUZZ_CHECK(reader.LastRecordEndOffset() <= bytes.size());
  FUZZ_CHECK(reader.LastRecordEndOffset() >= r.last_end);
  r.last_end = reader.LastRecordEndOffset();
  if (r.torn) FUZZ_CHECK_MSG(r.status.IsCorruption(), r.status.ToString());
  if (!r.status.ok()) {
    FUZZ_CHECK_MSG(r.status.IsCorruption() || r.status.IsNotSupported(), r.status.ToString());
  }
  return r;
}

inline void RunLogReaderTarget(std::string_view input) {
  ByteReader in(input);
  const uint8_t mode = in.U8();
  std::string bytes(in.Rest());
  if (mode & kLogModeFixChecksums) FixLogChecksums(&bytes);
  const log::LogKind kind =
      (mode & kLogModeManifest) ? log::LogKind::kManifest : log::LogKind::kWal;

  const LogReadResult first = ReadAllLogRecords(bytes, kind);

  // The valid prefix on its own: the same records, and a clean end.
  const LogReadResult prefix =
      ReadAllLogRecords(std::string_view(bytes).substr(0, first.last_end), kind);
  FUZZ_CHECK_MSG(prefix.records == first.records, "the prefix up to the last record end reads " +
                                                      std::to_string(prefix.records.size()) +
                                                      " records, the file " +
                                                      std::to_string(first.records.size()));
  FUZZ_CHECK_MSG(prefix.status.ok(), prefix.status.ToString());

  // Written again by the writer, the records read back identically.
  if (first.records.empty()) return;
  StringSink sink;
  log::Writer writer(&sink, kind, kLogFuzzFileNumber);
  for (const std::string& r : first.records) FUZZ_CHECK(writer.AddRecord(r).ok());
  const LogReadResult again = ReadAllLogRecords(sink.contents(), kind);
  FUZZ_CHECK(again.records == first.records);
  FUZZ_CHECK_MSG(again.status.ok(), again.status.ToString());
  FUZZ_CHECK(again.last_end == sink.contents().size());
}

}  // namespace strata::fuzz
