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

}  // namespace
}  // namespace strata
