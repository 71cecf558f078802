// db_open_fuzzer: DB::Open — recovery: CURRENT, MANIFEST replay (version edits applied in
// order), live-file checks, WAL replay — on a directory whose every file comes from the input;
// then reads, writes, flush and compaction on whatever Open accepted.
//
// Input: mode | file*, where file := name_length: uint8 | name | size: varint32 | bytes.
//   mode bit 0: fix up the checksums of every NNNNNN.sst (FixTableChecksums) and every
//               NNNNNN.log and MANIFEST-NNNNNN (FixLogChecksums), so that mutations reach the
//               recovery logic behind them;
//   mode bit 1: Options::paranoid_checks.
//   A name holding '/' (or empty, "." or "..") is skipped; a later file of the same name
//   replaces an earlier one. The seeds are real DB directories (make_corpus).
//
// Invariants: Open ends with ok or an error, without crashing, hanging or reading out of bounds.
// If it succeeds: scans, Gets and VerifyChecksums end (with an error or not); the DB, closed,
// opens again with the same contents (recovery persists exactly what it accepted); writes, Flush
// and CompactRange do not crash (they may fail on damaged tables) and leave a DB that opens again.
// Table contents with valid checksums may still be garbage (keys out of order, wrong metadata):
// strata does not promise ordered results for them, so neither does this target.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/filename.h"
#include "fs/mem_fs.h"
#include "fuzz_util.h"
#include "model_check.h"
#include "sst/table.h"
#include "strata/db.h"
#include "util/coding.h"

namespace strata::fuzz {

inline constexpr uint8_t kDbOpenModeFixChecksums = 1;
inline constexpr uint8_t kDbOpenModeParanoid = 2;
inline constexpr const char* kDbOpenPath = "/db";

using DbImage = std::map<std::string, std::string>;  // file name -> contents

inline std::string EncodeDbImage(uint8_t mode, const DbImage& files) {
  std::string out(1, static_cast<char>(mode));
  for (const auto& [name, contents] : files) {
    out.push_back(static_cast<char>(name.size()));
    out += name;
    PutVarint32(&out, static_cast<uint32_t>(contents.size()));
    out += contents;
  }
  return out;
}

// Decodes what it can: a truncated last file keeps the bytes that are there.
inline DbImage DecodeDbImage(ByteReader* in) {
  DbImage files;
  while (!in->empty()) {
    std::string name(in->Bytes(in->U8()));
    const uint32_t size = in->Varint32();
    std::string contents(in->Bytes(size));
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      continue;
    }
    files[std::move(name)] = std::move(contents);
  }
  return files;
}

// A DB image as a file system: /db holding the files.
inline std::shared_ptr<MemFileSystem> MakeDbFileSystem(const DbImage& files, bool fix) {
  auto fs = std::make_shared<MemFileSystem>();
  FUZZ_CHECK(fs->CreateDirIfMissing(kDbOpenPath).ok());
  static const InternalKeyComparator icmp(BytewiseComparator());
  for (const auto& [name, original] : files) {
    std::string contents = original;
    uint64_t number = 0;
    FileType type;
    if (fix && ParseFileName(name, &number, &type)) {
      if (type == FileType::kTableFile) FixTableChecksums(&contents, &icmp, 256);
      if (type == FileType::kLogFile || type == FileType::kDescriptorFile) {
        FixLogChecksums(&contents);
      }
    }
    std::unique_ptr<WritableFile> file;
    FUZZ_CHECK(fs->NewWritableFile(std::string(kDbOpenPath) + "/" + name, &file).ok());
    FUZZ_CHECK(file->Append(contents).ok());
    FUZZ_CHECK(file->Close().ok());
  }
  fs->MarkAllDurable();
  return fs;
}

struct DbScan {
  std::vector<std::pair<std::string, std::string>> entries;
  bool clean = false;  // ended without an error
};

inline DbScan ScanDb(DB* db, bool backward, size_t limit = 20000) {
  ReadOptions ro;
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  DbScan scan;
  for (backward ? it->SeekToLast() : it->SeekToFirst(); it->Valid() && scan.entries.size() < limit;
       backward ? it->Prev() : it->Next()) {
    scan.entries.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) FUZZ_CHECK(!it->Valid());
  scan.clean = it->status().ok() && !it->Valid();
  return scan;
}

inline void RunDbOpenTarget(std::string_view input) {
  ByteReader in(input);
  const uint8_t mode = in.U8();
  const DbImage files = DecodeDbImage(&in);
  Options options;
  options.file_system = MakeDbFileSystem(files, (mode & kDbOpenModeFixChecksums) != 0);
  options.paranoid_checks = (mode & kDbOpenModeParanoid) != 0;
  options.write_buffer_size = 4096;
  options.block_size = 256;
  // No compaction but the one asked for: the files must stay as recovery left them until the
  // reopen has been compared.
  options.level0_file_num_compaction_trigger = 64;
  options.level0_slowdown_writes_trigger = 64;
  options.level0_stop_writes_trigger = 64;
  options.max_bytes_for_level_base = uint64_t{1} << 40;
  options.target_file_size_base = 2048;

  std::unique_ptr<DB> db;
  if (!DB::Open(options, kDbOpenPath, &db).ok()) return;

  const DbScan forward = ScanDb(db.get(), false);
  ScanDb(db.get(), true, 2000);
  for (size_t i = 0; i < forward.entries.size() && i < 64; i++) {
    std::string value;
    db->Get(ReadOptions(), forward.entries[i].first, &value).PermitUncheckedError();
  }
  db->VerifyChecksums().PermitUncheckedError();

  db.reset();
  Status s = DB::Open(options, kDbOpenPath, &db);
  FUZZ_CHECK_MSG(s.ok(), "a DB that opened once does not open again: " + s.ToString());
  const DbScan again = ScanDb(db.get(), false);
  if (forward.clean && again.clean) {
    FUZZ_CHECK_MSG(again.entries == forward.entries, "the reopened DB holds other entries");
  }

  // Writes, a flush and a full compaction over whatever the files hold.
  for (int i = 0; i < 8; i++) {
    db->Put(WriteOptions(), "fuzz" + std::to_string(i), std::string(100, 'v'))
        .PermitUncheckedError();
  }
  db->Flush().PermitUncheckedError();
  db->CompactRange(nullptr, nullptr).PermitUncheckedError();
  ScanDb(db.get(), false);
  db.reset();
  s = DB::Open(options, kDbOpenPath, &db);
  FUZZ_CHECK_MSG(s.ok(), "the DB does not open after writes and compaction: " + s.ToString());
}

}  // namespace strata::fuzz
