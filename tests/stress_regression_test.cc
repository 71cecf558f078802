// Regression tests for engine problems found with strata_stress and tools/crash_test.sh
// (docs/stress.md). Each test rebuilds, deterministically, the on-disk state that the crash loop
// (or a look at what it recovers) produced, and states what the DB must do with it.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "db/filename.h"
#include "strata/db.h"
#include "testutil.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// Numbers of the files of `type` in the DB directory, ascending.
std::vector<uint64_t> FileNumbers(const std::string& dbname, FileType type) {
  std::vector<uint64_t> numbers;
  for (const auto& entry : fs::directory_iterator(dbname)) {
    uint64_t number;
    FileType t;
    if (ParseFileName(entry.path().filename().string(), &number, &t) && t == type) {
      numbers.push_back(number);
    }
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

std::string Value(int i) { return "value-" + std::to_string(i) + std::string(100, '.'); }

// Found while working out what crash_test.sh's kills during recovery (within half a second of
// the start) can leave behind. The loop itself has not hit it: it needs a torn WAL tail, which a
// kill -9 rarely leaves, and then a second kill within a window of a few milliseconds. A power
// loss leaves torn tails easily, so two power losses in a row reach the same state.
//
// A crash during a WAL append can leave the newest WAL with a torn tail; recovery accepts that
// (DESIGN §4.6). Recovery then creates a fresh WAL and only afterwards writes the MANIFEST edit
// that makes the old WAL obsolete. A crash between the two leaves the torn WAL followed by a newer,
// empty WAL, and the next Open fails with Corruption ("truncated record") because the torn WAL is
// no longer the newest. It must recover exactly what the first recovery did: nothing was ever
// written after the torn tail, so it is still the end of the log.
//
// Fixed: recovery now retires the replayed WALs in the MANIFEST before creating the new WAL, and
// a torn tail is accepted in any WAL that no later WAL with records follows.
TEST(StressRegressionTest, TornWalTailSurvivesAnInterruptedRecovery) {
  test::TempDir dir;
  const std::string dbname = dir.path() + "/db";
  Options options;
  options.create_if_missing = true;
  constexpr int kKeys = 100;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, dbname, &db));
    for (int i = 0; i < kKeys; i++) {
      ASSERT_OK(db->Put(WriteOptions(), test::NumberKey(i), Value(i)));
    }
  }  // closed without a flush: the writes live only in the newest WAL

  const std::vector<uint64_t> logs = FileNumbers(dbname, FileType::kLogFile);
  ASSERT_FALSE(logs.empty());
  // What a kill in the middle of the last append leaves: its record cut short.
  const std::string wal = LogFileName(dbname, logs.back());
  fs::resize_file(wal, fs::file_size(wal) - 10);
  // What a recovery killed after creating its fresh WAL, before the MANIFEST names it, leaves.
  std::ofstream(LogFileName(dbname, logs.back() + 100)).close();

  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, dbname, &db));
  std::string value;
  for (int i = 0; i < kKeys - 1; i++) {
    ASSERT_OK(db->Get(ReadOptions(), test::NumberKey(i), &value));
    EXPECT_EQ(value, Value(i));
  }
}

// Found while checking how strata_stress reports a DB that does not reopen: after a few bytes of a
// MANIFEST were overwritten, --verify_only reported hundreds of lost acknowledged writes from a DB
// that had opened without complaint.
//
// The length field of a MANIFEST record in the file's last (short) block is damaged so that the
// record claims more bytes than the file holds. Valid records follow it, so this is damage in the
// middle of the file, and Open must fail with Corruption (DESIGN §4.6). Taking it for a torn tail
// would drop every later version edit and open with an older set of files, losing the data of
// the dropped flushes (their WALs were deleted when they were flushed).
//
// Fixed: the MANIFEST reader searches the bytes of a record cut short by the end of the file for
// valid records (MANIFEST payloads are strata's own), and WAL replay refuses a gap between the
// recovered last sequence and the next batch.
TEST(StressRegressionTest, DamagedManifestRecordLengthFailsOpen) {
  test::TempDir dir;
  const std::string dbname = dir.path() + "/db";
  Options options;
  options.create_if_missing = true;
  // No compaction: the older file set stays on disk and opens cleanly.
  options.level0_file_num_compaction_trigger = 100;
  options.level0_slowdown_writes_trigger = 100;
  options.level0_stop_writes_trigger = 100;
  constexpr int kFlushes = 5;
  constexpr int kKeysPerFlush = 20;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, dbname, &db));
    for (int f = 0; f < kFlushes; f++) {
      for (int i = f * kKeysPerFlush; i < (f + 1) * kKeysPerFlush; i++) {
        ASSERT_OK(db->Put(WriteOptions(), test::NumberKey(i), Value(i)));
      }
      ASSERT_OK(db->Flush());  // one MANIFEST edit per flush
    }
  }

  const std::vector<uint64_t> manifests = FileNumbers(dbname, FileType::kDescriptorFile);
  ASSERT_EQ(manifests.size(), 1u);
  const std::string manifest = DescriptorFileName(dbname, manifests.back());
  std::string bytes;
  {
    std::ifstream in(manifest, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_LT(bytes.size(), 32768u) << "the test expects a MANIFEST of one short block";
  // Physical records: checksum (4) | length (2, little-endian) | type (1) | payload.
  std::vector<size_t> records;
  for (size_t pos = 0; pos + 7 <= bytes.size();) {
    records.push_back(pos);
    pos += 7 + (static_cast<uint8_t>(bytes[pos + 4]) | static_cast<uint8_t>(bytes[pos + 5]) << 8);
  }
  ASSERT_GE(records.size(), 4u);
  const size_t damaged = records[records.size() - 3];  // the edit of the third-from-last flush
  bytes[damaged + 4] = '\xff';
  bytes[damaged + 5] = '\x7f';
  {
    std::ofstream out(manifest, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  std::unique_ptr<DB> db;
  const Status s = DB::Open(options, dbname, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace strata
