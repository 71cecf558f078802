// I/O errors at the DB level: regression tests for problems found by injecting faults.

#include <memory>
#include <string>

#include "fs/fault_injection_fs.h"
#include "fs/mem_fs.h"
#include "strata/db.h"
#include "testutil.h"

namespace strata {
namespace {

constexpr char kDBPath[] = "/db";

Options WorkloadOptions(std::shared_ptr<FileSystem> fs) {
  Options options;
  options.create_if_missing = true;
  options.file_system = std::move(fs);
  return options;
}

// ---- Regressions
// ---------------------------------------------------------------------------------

// Creating a DB: CURRENT is renamed into place, then the directory sync fails. The rename may
// have reached the disk, so CURRENT may name the new MANIFEST: deleting that MANIFEST on the
// error path left a DB that no later Open accepted ("CURRENT names a missing MANIFEST").
TEST(DBFaultInjectionTest, FailedDirSyncWhileCreatingLeavesAnOpenableDB) {
  auto mem = std::make_shared<MemFileSystem>();
  auto fi = std::make_shared<FaultInjectionFileSystem>(mem);
  // The first sync of the DB directory is the one after CURRENT's rename.
  fi->AddFault(FaultSpec::Once(FsOp::kDirSync, 1).OnlyPaths([](std::string_view path) {
    return path == kDBPath;
  }));
  Options options = WorkloadOptions(fi);
  std::unique_ptr<DB> db;
  const Status s = DB::Open(options, kDBPath, &db);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(kDBPath), std::string::npos) << s.ToString();
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  ASSERT_OK(db->Put(WriteOptions(), "k", "v"));
  db.reset();
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "k", &value));
  EXPECT_EQ(value, "v");
}

// A backward scan collects each key's versions oldest first. A read error between the version
// of "b" in a lower level and its deletion in an upper level ended the collection early, and the
// iterator stayed Valid() on the deleted key with its old value (status() showed the error, but
// callers stop at !Valid()). An error must end the iteration: !Valid(), status() non-ok.
TEST(DBFaultInjectionTest, BackwardScanReadErrorNeverResurrectsADeletedKey) {
  auto mem = std::make_shared<MemFileSystem>();
  auto fi = std::make_shared<FaultInjectionFileSystem>(mem);
  Options options = WorkloadOptions(fi);
  options.block_size = 256;
  options.block_cache_size = 0;  // every block read reaches the file system
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  // "a" and "b" in separate data blocks of one table, deeper than the deletion of "b".
  ASSERT_OK(db->Put(WriteOptions(), "a", std::string(300, 'a')));
  ASSERT_OK(db->Put(WriteOptions(), "b", std::string(300, 'b')));
  ASSERT_OK(db->CompactRange(nullptr, nullptr));
  ASSERT_OK(db->Delete(WriteOptions(), "b"));
  ASSERT_OK(db->Flush());
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "a", &value));  // opens both tables
  ASSERT_TRUE(db->Get(ReadOptions(), "b", &value).IsNotFound());

  // SeekToLast reads the last block of each table; the step back from "b"'s old version to "a"
  // (the third read) fails.
  const int id = fi->AddFault(FaultSpec::FromNth(FsOp::kRead, 3));
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  it->SeekToLast();
  EXPECT_EQ(fi->FaultsFired(id), 1u);
  EXPECT_FALSE(it->Valid()) << "positioned on " << it->key() << " despite "
                            << it->status().ToString();
  EXPECT_TRUE(it->status().IsIOError()) << it->status().ToString();
}

}  // namespace
}  // namespace strata
