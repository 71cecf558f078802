// Damaged files: single-bit flips in SSTs, WALs, the MANIFEST and CURRENT, and a disk that
// corrupts what it is given to write.
//
// What must hold (DESIGN §4.5, §4.6, §4.8): every read returns the right value or a non-ok status
// (never a wrong value, never NotFound for a present key, never a crash or a hang); Open fails
// with Corruption naming the file, except for damage that is indistinguishable from a torn write
// at the very end of the newest WAL, which recovers the writes before it; DB::VerifyChecksums
// finds every damaged SST byte and names the file and the block's offset; paranoid_checks keeps
// a badly written SST out of the MANIFEST.
//
// STRATA_TEST_SCALE multiplies the number of random flips; STRATA_TEST_SEED changes them.

#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/filename.h"
#include "fs/mem_fs.h"
#include "hook_fs.h"
#include "reliability_util.h"
#include "strata/db.h"
#include "testutil.h"

namespace strata {
namespace {

using test::KV;

constexpr char kDBPath[] = "/db";

void FlipBit(FileSystem* fs, const std::string& path, uint64_t bit) {
  std::string data = test::ReadWholeFile(fs, path);
  ASSERT_LT(bit / 8, data.size());
  data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
  test::WriteWholeFile(fs, path, data);
}

// "... at offset X (size Y) ..." in a status message: the block it names.
bool ParseBlockOffset(const std::string& msg, uint64_t* offset, uint64_t* size) {
  const size_t at = msg.find("at offset ");
  if (at == std::string::npos) return false;
  return std::sscanf(msg.c_str() + at, "at offset %lu (size %lu)", offset, size) == 2;
}

// ---- Every bit of a small SST ----------------------------------------------------------------

struct ReadOutcome {
  uint64_t errors = 0;
  uint64_t wrong = 0;
  std::string first_wrong;
};

void ReadAndCheck(DB* db, const KV& expected, const std::vector<std::string>& keys,
                  ReadOutcome* out) {
  auto wrong = [&](const std::string& what) {
    if (out->wrong++ == 0) out->first_wrong = what;
  };
  for (const std::string& key : keys) {
    std::string value;
    const Status s = db->Get(ReadOptions(), key, &value);
    auto it = expected.find(key);
    if (s.ok()) {
      if (it == expected.end() || it->second != value) wrong("Get(" + key + ") wrong value");
    } else if (s.IsNotFound()) {
      if (it != expected.end()) wrong("Get(" + key + ") NotFound for a present key");
    } else {
      out->errors++;
    }
  }
  // Forward and backward scans: the entries returned are exactly the expected ones, in order,
  // up to where an error stops the scan.
  const std::vector<std::pair<std::string, std::string>> all(expected.begin(), expected.end());
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  size_t pos = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), pos++) {
    if (pos >= all.size() || it->key() != all[pos].first || it->value() != all[pos].second) {
      wrong("forward scan at entry " + std::to_string(pos));
      break;
    }
  }
  if (!it->status().ok()) {
    out->errors++;
  } else if (pos != all.size()) {
    wrong("forward scan stopped early without an error");
  }
  it = db->NewIterator(ReadOptions());
  size_t left = all.size();
  for (it->SeekToLast(); it->Valid(); it->Prev(), left--) {
    if (left == 0 || it->key() != all[left - 1].first || it->value() != all[left - 1].second) {
      wrong("backward scan at entry " + std::to_string(left));
      break;
    }
  }
  if (!it->status().ok()) {
    out->errors++;
  } else if (left != 0) {
    wrong("backward scan stopped early without an error");
  }
}

struct SstFlipTotals {
  uint64_t flips = 0;
  uint64_t found_by_reads = 0;
  uint64_t found_by_verify = 0;
  uint64_t failed_opens = 0;
};

// Flips every bit of the DB's only SST in turn; each time the DB is opened afresh and read
// whole, then VerifyChecksums runs.
void FlipEverySstBit(CompressionType compression, uint64_t stride, SstFlipTotals* totals) {
  auto mem = std::make_shared<MemFileSystem>();
  Options options;
  options.create_if_missing = true;
  options.file_system = mem;
  options.block_size = 128;
  options.compression = compression;
  KV expected;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDBPath, &db));
    Random rnd(test::TestSeed());
    for (int i = 0; i < 14; i++) {
      const std::string key = test::NumberKey(static_cast<uint64_t>(i) * 2, 3);
      expected[key] = test::CompressibleString(&rnd, 0.5, 30);
      ASSERT_OK(db->Put(WriteOptions(), key, expected[key]));
    }
    ASSERT_OK(db->Flush());
  }
  const std::vector<uint64_t> ssts = test::FileNumbers(mem.get(), kDBPath, FileType::kTableFile);
  ASSERT_EQ(ssts.size(), 1u);
  const std::string sst = TableFileName(kDBPath, ssts[0]);
  const uint64_t bits = test::ReadWholeFile(mem.get(), sst).size() * 8;
  std::vector<std::string> keys;  // present and absent keys, interleaved
  for (int i = 0; i < 30; i++) keys.push_back(test::NumberKey(static_cast<uint64_t>(i), 3));

  for (uint64_t bit = 0; bit < bits; bit += stride) {
    SCOPED_TRACE("bit " + std::to_string(bit) + " (byte " + std::to_string(bit / 8) + ") of " +
                 sst);
    std::shared_ptr<MemFileSystem> copy = mem->CrashClone(CrashOptions());
    ASSERT_NO_FATAL_FAILURE(FlipBit(copy.get(), sst, bit));
    options.file_system = copy;
    std::unique_ptr<DB> db;
    const Status s = DB::Open(options, kDBPath, &db);
    totals->flips++;
    if (!s.ok()) {
      // Open does not read SSTs; if it ever does, it must say Corruption.
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      totals->failed_opens++;
      continue;
    }
    ReadOutcome out;
    ReadAndCheck(db.get(), expected, keys, &out);
    EXPECT_EQ(out.wrong, 0u) << out.first_wrong;
    if (out.errors > 0) totals->found_by_reads++;
    const Status v = db->VerifyChecksums();
    EXPECT_FALSE(v.ok()) << "VerifyChecksums missed the flip";
    if (!v.ok()) {
      totals->found_by_verify++;
      const std::string msg = v.ToString();
      EXPECT_NE(msg.find(sst), std::string::npos) << msg;
      uint64_t offset, size;
      if (ParseBlockOffset(msg, &offset, &size)) {
        // The block named holds the flipped byte (the 5-byte trailer follows its contents).
        EXPECT_LE(offset, bit / 8) << msg;
        EXPECT_LT(bit / 8, offset + size + 5) << msg;
      }
    }
    if (testing::Test::HasFailure()) return;
  }
}

TEST(DBCorruptionTest, EveryBitOfAnSstFlipped) {
  SstFlipTotals totals;
  ASSERT_NO_FATAL_FAILURE(FlipEverySstBit(CompressionType::kNone, test::OffsetStride(), &totals));
  std::printf("[corruption] SST, every bit (stride %zu): %llu flips, %llu found by reads, "
              "%llu by VerifyChecksums, 0 wrong answers\n",
              test::OffsetStride(), static_cast<unsigned long long>(totals.flips),
              static_cast<unsigned long long>(totals.found_by_reads),
              static_cast<unsigned long long>(totals.found_by_verify));
  EXPECT_EQ(totals.found_by_verify, totals.flips);
}

#ifdef STRATA_HAVE_SNAPPY
TEST(DBCorruptionTest, BitsOfASnappyCompressedSstFlipped) {
  SstFlipTotals totals;
  ASSERT_NO_FATAL_FAILURE(
      FlipEverySstBit(CompressionType::kSnappy, 3 * test::OffsetStride(), &totals));
  std::printf("[corruption] snappy SST, bits at stride %zu: %llu flips, %llu found by reads, "
              "%llu by VerifyChecksums, 0 wrong answers\n",
              3 * test::OffsetStride(), static_cast<unsigned long long>(totals.flips),
              static_cast<unsigned long long>(totals.found_by_reads),
              static_cast<unsigned long long>(totals.found_by_verify));
  EXPECT_EQ(totals.found_by_verify, totals.flips);
}
#endif

// ---- WAL, MANIFEST and CURRENT ----------------------------------------------------------------

// Random single-bit flips in the files recovery reads. The state has SSTs, a MANIFEST of several
// edits, an older WAL (complete) and the newest WAL, every write synced. Open must fail with
// Corruption, or recover exactly every write; the one exception is a flip inside the newest WAL's
// last record, which is what a torn final write leaves and recovers every write but that one.
TEST(DBCorruptionTest, RandomBitFlipsInWalManifestAndCurrent) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  test::TwoWalState state;
  ASSERT_NO_FATAL_FAILURE(test::BuildTwoWalState(seed, 12, &state));
  const size_t n = state.history.size();
  const KV all = state.history.State(n);
  const KV all_but_last = state.history.State(n - 1);
  FileSystem* fs = state.fs.get();

  const std::vector<uint64_t> manifests = test::FileNumbers(fs, kDBPath, FileType::kDescriptorFile);
  ASSERT_EQ(manifests.size(), 1u);
  struct Target {
    std::string path;
    uint64_t size;
    const char* name;
  };
  std::vector<Target> targets = {
      {LogFileName(kDBPath, state.new_wal), 0, "newest WAL"},
      {LogFileName(kDBPath, state.old_wal), 0, "older WAL"},
      {DescriptorFileName(kDBPath, manifests[0]), 0, "MANIFEST"},
      {CurrentFileName(kDBPath), 0, "CURRENT"},
  };
  for (Target& t : targets) t.size = test::ReadWholeFile(fs, t.path).size();
  const auto new_wal_records =
      test::LogRecordRanges(fs, targets[0].path, log::LogKind::kWal, state.new_wal);
  ASSERT_EQ(new_wal_records.size(), n - state.new_wal_first_op);
  const uint64_t last_record_start = new_wal_records.back().first;

  Random rnd(seed * 17 + 3);
  const uint64_t flips = static_cast<uint64_t>(4000 * test::TestScale());
  uint64_t per_target[4] = {}, refused[4] = {}, torn_tail_recoveries = 0;
  for (uint64_t f = 0; f < flips; f++) {
    const size_t which = f % targets.size();
    const Target& t = targets[which];
    const uint64_t bit = rnd.Uniform(t.size * 8);
    SCOPED_TRACE(std::string(t.name) + " " + t.path + ", bit " + std::to_string(bit) +
                 " (byte " + std::to_string(bit / 8) + " of " + std::to_string(t.size) + ")");
    std::shared_ptr<MemFileSystem> copy = state.fs->CrashClone(CrashOptions());
    ASSERT_NO_FATAL_FAILURE(FlipBit(copy.get(), t.path, bit));
    std::unique_ptr<DB> db;
    const Status s = DB::Open(test::TwoWalOptions(copy), kDBPath, &db);
    per_target[which]++;
    if (!s.ok()) {
      refused[which]++;
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_NE(s.ToString().find(kDBPath), std::string::npos) << s.ToString();
    } else {
      KV got;
      ASSERT_OK(test::ScanAll(db.get(), &got));
      const bool in_last_record = which == 0 && bit / 8 >= last_record_start;
      if (got == all) {
        // Every flip is caught by a checksum; recovering everything means it was not.
        ADD_FAILURE() << "the flip went unnoticed";
      } else if (in_last_record && got == all_but_last) {
        torn_tail_recoveries++;
      } else {
        ADD_FAILURE() << "Open succeeded with a wrong state:" << test::DescribeDiff(all, got);
      }
    }
    if (HasFailure()) break;
  }
  std::printf("[corruption] random flips: %llu in the newest WAL (%llu refused, %llu recovered "
              "as a torn tail), %llu in the older WAL (%llu refused), %llu in the MANIFEST (%llu "
              "refused), %llu in CURRENT (%llu refused)\n",
              static_cast<unsigned long long>(per_target[0]),
              static_cast<unsigned long long>(refused[0]),
              static_cast<unsigned long long>(torn_tail_recoveries),
              static_cast<unsigned long long>(per_target[1]),
              static_cast<unsigned long long>(refused[1]),
              static_cast<unsigned long long>(per_target[2]),
              static_cast<unsigned long long>(refused[2]),
              static_cast<unsigned long long>(per_target[3]),
              static_cast<unsigned long long>(refused[3]));
}

// A torn or zeroed tail of the newest WAL: what a crash during an append leaves, on a file system
// that keeps a prefix of the appended bytes (truncated) or one that extends the file before the
// data reaches it (zeroed, as with preallocated space). For every byte offset in the last 12
// records, the file is cut there, or zeroed from there to its end: Open must succeed and recover
// exactly the writes whose records end at or before the offset.
TEST(DBCorruptionTest, NewestWalTruncatedOrZeroedAtEveryByteOfItsLastRecords) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  test::TwoWalState state;
  ASSERT_NO_FATAL_FAILURE(test::BuildTwoWalState(seed, 12, &state));
  const size_t n = state.history.size();
  FileSystem* fs = state.fs.get();
  const std::string wal = LogFileName(kDBPath, state.new_wal);
  const std::string data = test::ReadWholeFile(fs, wal);
  const auto records = test::LogRecordRanges(fs, wal, log::LogKind::kWal, state.new_wal);
  ASSERT_EQ(records.size(), n - state.new_wal_first_op);
  ASSERT_GE(records.size(), 12u);
  const uint64_t from = records[records.size() - 12].first;
  const size_t stride = test::OffsetStride();
  uint64_t opens = 0;
  for (const bool zero : {false, true}) {
    for (uint64_t cut = from; cut <= data.size(); cut += stride) {
      SCOPED_TRACE(std::string(zero ? "zeroed" : "truncated") + " at byte " +
                   std::to_string(cut) + " of " + std::to_string(data.size()) + " in " + wal);
      size_t whole = 0;  // records that end at or before the cut
      while (whole < records.size() && records[whole].second <= cut) whole++;
      const size_t expect_ops = state.new_wal_first_op + whole;
      std::shared_ptr<MemFileSystem> copy = state.fs->CrashClone(CrashOptions());
      std::string damaged = data.substr(0, cut);
      if (zero) damaged.resize(data.size(), '\0');
      test::WriteWholeFile(copy.get(), wal, damaged);
      std::unique_ptr<DB> db;
      ASSERT_OK(DB::Open(test::TwoWalOptions(copy), kDBPath, &db));
      opens++;
      KV got;
      ASSERT_OK(test::ScanAll(db.get(), &got));
      const KV want = state.history.State(expect_ops);
      ASSERT_TRUE(got == want) << "expected the first " << expect_ops << " of " << n
                               << " writes:" << test::DescribeDiff(want, got);
      // The recovered DB takes new writes and keeps them across another reopen.
      ASSERT_OK(db->Put(WriteOptions(), "after-recovery", "x"));
      db.reset();
      ASSERT_OK(DB::Open(test::TwoWalOptions(copy), kDBPath, &db));
      std::string v;
      ASSERT_OK(db->Get(ReadOptions(), "after-recovery", &v));
      ASSERT_OK(db->Delete(WriteOptions(), "after-recovery"));
      got.clear();
      ASSERT_OK(test::ScanAll(db.get(), &got));
      ASSERT_TRUE(got == want) << test::DescribeDiff(want, got);
    }
  }
  std::printf("[corruption] newest WAL cut or zeroed at %llu offsets of its last 12 records "
              "(%llu bytes): every Open recovered exactly the whole records before the offset\n",
              static_cast<unsigned long long>(opens),
              static_cast<unsigned long long>(data.size() - from));
}

// The MANIFEST's last record is where a torn append ends up, and recovery accepts a damaged last
// record as one (its change never took effect). But a bit flipped in a last record that was
// written whole and synced is not a torn write: if its change took effect (here a flush, after
// which the WAL it made obsolete was deleted), dropping it loses data silently. Every bit of the
// last record is flipped in turn: Open must fail with Corruption, or recover everything.
TEST(DBCorruptionTest, EveryBitOfTheLastManifestRecordAfterAFlush) {
  auto mem = std::make_shared<MemFileSystem>();
  Options options = test::SmallDBOptions(mem);
  options.write_buffer_size = 1 << 20;
  KV expected;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDBPath, &db));
    for (int i = 0; i < 50; i++) {
      const std::string key = test::NumberKey(i, 4);
      expected[key] = "value" + std::to_string(i);
      ASSERT_OK(db->Put(WriteOptions(), key, expected[key]));
    }
    ASSERT_OK(db->Flush());  // the last MANIFEST edit: the new SST, the WAL retired
  }
  mem->MarkAllDurable();  // the retired WAL's deletion included
  const std::vector<uint64_t> manifests =
      test::FileNumbers(mem.get(), kDBPath, FileType::kDescriptorFile);
  ASSERT_EQ(manifests.size(), 1u);
  const std::string manifest = DescriptorFileName(kDBPath, manifests[0]);
  const auto records =
      test::LogRecordRanges(mem.get(), manifest, log::LogKind::kManifest, manifests[0]);
  ASSERT_GE(records.size(), 2u);
  uint64_t refused = 0, recovered = 0;
  for (uint64_t byte = records.back().first; byte < records.back().second; byte++) {
    for (int bit = 0; bit < 8; bit++) {
      SCOPED_TRACE("byte " + std::to_string(byte) + " bit " + std::to_string(bit));
      std::shared_ptr<MemFileSystem> copy = mem->CrashClone(CrashOptions());
      ASSERT_NO_FATAL_FAILURE(FlipBit(copy.get(), manifest, byte * 8 + bit));
      options.file_system = copy;
      std::unique_ptr<DB> db;
      const Status s = DB::Open(options, kDBPath, &db);
      if (!s.ok()) {
        refused++;
        EXPECT_TRUE(s.IsCorruption()) << s.ToString();
        EXPECT_NE(s.ToString().find(manifest), std::string::npos) << s.ToString();
        if (refused == 1) std::printf("[corruption] e.g. %s\n", s.ToString().c_str());
        continue;
      }
      recovered++;
      KV got;
      ASSERT_OK(test::ScanAll(db.get(), &got));
      ASSERT_EQ(got, expected) << test::DescribeDiff(expected, got);
    }
  }
  std::printf("[corruption] last MANIFEST record, every bit: %llu refused, %llu recovered\n",
              static_cast<unsigned long long>(refused),
              static_cast<unsigned long long>(recovered));
}

// The other side of the same rule: an edit torn by a crash (here the flush's edit cut short at
// every length, taken before its sync while the WAL it retires still exists) never took effect,
// and the DB opens with every write.
TEST(DBCorruptionTest, TornLastManifestEditStillOpens) {
  auto mem = std::make_shared<MemFileSystem>();
  auto hook = std::make_shared<test::HookFileSystem>(mem);
  std::shared_ptr<MemFileSystem> before_sync;
  std::atomic<bool> flushing{false};
  hook->SetBeforeHook([&](FsOp op, const std::string& path) {
    if (flushing.load() && op == FsOp::kSync && path.find("/MANIFEST-") != std::string::npos &&
        before_sync == nullptr) {
      before_sync = mem->CrashClone(CrashOptions::ProcessCrash());
    }
  });
  Options options = test::SmallDBOptions(hook);
  options.write_buffer_size = 1 << 20;
  KV expected;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDBPath, &db));
    for (int i = 0; i < 50; i++) {
      const std::string key = test::NumberKey(i, 4);
      expected[key] = "value" + std::to_string(i);
      WriteOptions sync;
      sync.sync = true;
      ASSERT_OK(db->Put(sync, key, expected[key]));
    }
    flushing = true;
    ASSERT_OK(db->Flush());
  }
  ASSERT_NE(before_sync, nullptr);
  const std::vector<uint64_t> manifests =
      test::FileNumbers(before_sync.get(), kDBPath, FileType::kDescriptorFile);
  ASSERT_EQ(manifests.size(), 1u);
  const std::string manifest = DescriptorFileName(kDBPath, manifests[0]);
  const auto records =
      test::LogRecordRanges(before_sync.get(), manifest, log::LogKind::kManifest, manifests[0]);
  const std::string bytes = test::ReadWholeFile(before_sync.get(), manifest);
  ASSERT_EQ(bytes.size(), records.back().second);
  for (uint64_t cut = records.back().first + 1; cut < records.back().second; cut++) {
    SCOPED_TRACE("MANIFEST cut at " + std::to_string(cut));
    std::shared_ptr<MemFileSystem> copy = before_sync->CrashClone(CrashOptions());
    test::WriteWholeFile(copy.get(), manifest, std::string_view(bytes).substr(0, cut));
    options.file_system = copy;
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDBPath, &db));
    KV got;
    ASSERT_OK(test::ScanAll(db.get(), &got));
    ASSERT_EQ(got, expected) << test::DescribeDiff(expected, got);
  }
}

// ---- VerifyChecksums ---------------------------------------------------------------------------

TEST(DBCorruptionTest, VerifyChecksumsNamesTheFileAndBlock) {
  auto mem = std::make_shared<MemFileSystem>();
  Options options = test::SmallDBOptions(mem);
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  for (int i = 0; i < 400; i++) {
    ASSERT_OK(db->Put(WriteOptions(), test::NumberKey(i % 150, 5), std::string(100, 'a' + i % 26)));
  }
  ASSERT_OK(db->CompactRange(nullptr, nullptr));
  ASSERT_OK(db->VerifyChecksums());
  const std::vector<uint64_t> ssts = test::FileNumbers(mem.get(), kDBPath, FileType::kTableFile);
  ASSERT_GE(ssts.size(), 2u);
  const std::string sst = TableFileName(kDBPath, ssts[ssts.size() / 2]);
  const std::string data = test::ReadWholeFile(mem.get(), sst);
  const uint64_t byte = data.size() / 3;  // inside a data block
  ASSERT_NO_FATAL_FAILURE(FlipBit(mem.get(), sst, byte * 8 + 2));
  const Status s = db->VerifyChecksums();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  const std::string msg = s.ToString();
  EXPECT_NE(msg.find(sst), std::string::npos) << msg;
  uint64_t offset = 0, size = 0;
  ASSERT_TRUE(ParseBlockOffset(msg, &offset, &size)) << msg;
  EXPECT_LE(offset, byte);
  EXPECT_LT(byte, offset + size + 5);
}

// DB::VerifyChecksums promises to check the MANIFEST too.
TEST(DBCorruptionTest, VerifyChecksumsFindsADamagedManifest) {
  auto mem = std::make_shared<MemFileSystem>();
  Options options = test::SmallDBOptions(mem);
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  for (int i = 0; i < 3; i++) {
    ASSERT_OK(db->Put(WriteOptions(), "k" + std::to_string(i), "v"));
    ASSERT_OK(db->Flush());
  }
  ASSERT_OK(db->VerifyChecksums());
  const std::vector<uint64_t> manifests =
      test::FileNumbers(mem.get(), kDBPath, FileType::kDescriptorFile);
  ASSERT_EQ(manifests.size(), 1u);
  const std::string manifest = DescriptorFileName(kDBPath, manifests[0]);
  ASSERT_NO_FATAL_FAILURE(FlipBit(mem.get(), manifest, 40 * 8 + 1));  // in the first edit
  const Status s = db->VerifyChecksums();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(manifest), std::string::npos) << s.ToString();
}

// ---- A disk that corrupts what it writes ------------------------------------------------------

// A HookFileSystem whose Append flips one byte of data written to SST files (while armed).
struct FaultyDisk {
  explicit FaultyDisk(std::shared_ptr<FileSystem> base)
      : hook(std::make_shared<test::HookFileSystem>(std::move(base))) {
    hook->SetAppendFilter([this](const std::string& path, std::string* data) {
      std::lock_guard<std::mutex> lock(mu);
      if (!armed || !path.ends_with(".sst") || data->empty()) return;
      (*data)[data->size() / 2] ^= 0x10;
      corrupted_files.insert(path);
    });
  }
  void Arm(bool on) {
    std::lock_guard<std::mutex> lock(mu);
    armed = on;
  }
  std::shared_ptr<test::HookFileSystem> hook;
  std::mutex mu;
  bool armed = false;
  std::set<std::string> corrupted_files;
};

std::string LiveSsts(DB* db) {
  std::string value;
  EXPECT_TRUE(db->GetProperty("strata.sstables", &value));
  return value;
}

TEST(DBCorruptionTest, ParanoidChecksKeepABadFlushOutputOutOfTheManifest) {
  auto mem = std::make_shared<MemFileSystem>();
  FaultyDisk disk(mem);
  Options options = test::SmallDBOptions(disk.hook);
  options.write_buffer_size = 1 << 20;
  ASSERT_TRUE(options.paranoid_checks);  // the default
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  KV expected;
  for (int i = 0; i < 100; i++) {
    const std::string key = test::NumberKey(i, 4);
    expected[key] = "value" + std::to_string(i);
    ASSERT_OK(db->Put(WriteOptions(), key, expected[key]));
  }
  disk.Arm(true);
  const Status s = db->Flush();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  ASSERT_EQ(disk.corrupted_files.size(), 1u);
  const std::string bad = *disk.corrupted_files.begin();
  EXPECT_NE(s.ToString().find(bad), std::string::npos) << s.ToString();
  // Not in the version, not on disk, and the data is still served from the memtable.
  EXPECT_EQ(LiveSsts(db.get()).find(bad.substr(bad.rfind('/') + 1, 6)), std::string::npos);
  EXPECT_TRUE(mem->FileExists(bad).IsNotFound());
  KV got;
  ASSERT_OK(test::ScanAll(db.get(), &got));
  EXPECT_EQ(got, expected);
  db.reset();

  // Recovery flushes the WAL through the same disk: the check refuses that output too.
  Status open = DB::Open(options, kDBPath, &db);
  EXPECT_TRUE(open.IsCorruption()) << open.ToString();
  disk.Arm(false);
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  ASSERT_OK(test::ScanAll(db.get(), &got));
  EXPECT_EQ(got, expected);
  ASSERT_OK(db->VerifyChecksums());
}

TEST(DBCorruptionTest, ParanoidChecksKeepABadCompactionOutputOutOfTheManifest) {
  auto mem = std::make_shared<MemFileSystem>();
  FaultyDisk disk(mem);
  Options options = test::SmallDBOptions(disk.hook);
  options.level0_file_num_compaction_trigger = 100;  // compactions only when asked
  options.level0_slowdown_writes_trigger = 100;
  options.level0_stop_writes_trigger = 100;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  KV expected;
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 60; i++) {
      const std::string key = test::NumberKey(i, 4);
      expected[key] = "value" + std::to_string(round) + "-" + std::to_string(i);
      ASSERT_OK(db->Put(WriteOptions(), key, expected[key]));
    }
    ASSERT_OK(db->Flush());
  }
  const std::string before = LiveSsts(db.get());
  disk.Arm(true);
  const Status s = db->CompactRange(nullptr, nullptr);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(LiveSsts(db.get()), before);  // the inputs stay, no output was installed
  for (const std::string& bad : disk.corrupted_files) {
    EXPECT_TRUE(mem->FileExists(bad).IsNotFound()) << bad;
  }
  KV got;
  ASSERT_OK(test::ScanAll(db.get(), &got));
  EXPECT_EQ(got, expected);
  db.reset();
  disk.Arm(false);
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  ASSERT_OK(test::ScanAll(db.get(), &got));
  EXPECT_EQ(got, expected);
  ASSERT_OK(db->VerifyChecksums());
  ASSERT_OK(db->CompactRange(nullptr, nullptr));
  ASSERT_OK(test::ScanAll(db.get(), &got));
  EXPECT_EQ(got, expected);
}

// Without paranoid_checks the bad SST is installed; reads of it must then fail, never return a
// wrong value, and VerifyChecksums must find it.
TEST(DBCorruptionTest, WithoutParanoidChecksABadSstGivesErrorsNotWrongValues) {
  auto mem = std::make_shared<MemFileSystem>();
  FaultyDisk disk(mem);
  Options options = test::SmallDBOptions(disk.hook);
  options.write_buffer_size = 1 << 20;
  options.paranoid_checks = false;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  KV expected;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; i++) {
    const std::string key = test::NumberKey(i, 4);
    expected[key] = "value" + std::to_string(i);
    keys.push_back(key);
    ASSERT_OK(db->Put(WriteOptions(), key, expected[key]));
  }
  disk.Arm(true);
  ASSERT_OK(db->Flush());
  disk.Arm(false);
  ReadOutcome out;
  ReadAndCheck(db.get(), expected, keys, &out);
  EXPECT_EQ(out.wrong, 0u) << out.first_wrong;
  EXPECT_GT(out.errors, 0u);
  const Status v = db->VerifyChecksums();
  EXPECT_TRUE(v.IsCorruption()) << v.ToString();
}

}  // namespace
}  // namespace strata
