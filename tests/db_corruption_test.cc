// Damaged files: single-bit flips in the MANIFEST; regression tests.

#include <atomic>
#include <cstdio>
#include <memory>
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
              static_cast<unsigned long long>(refused), static_cast<unsigned long long>(recovered));
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

}  // namespace
}  // namespace strata
