// MemFileSystem::CrashClone: what survives a simulated power loss.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/filename.h"
#include "fs/fault_injection_fs.h"
#include "fs/mem_fs.h"
#include "testutil.h"

namespace strata {
namespace {

constexpr std::string_view kMissing = "<missing>";

std::string Contents(FileSystem* fs, const std::string& path) {
  std::string data;
  const Status s = ReadFileToString(fs, path, &data);
  if (s.IsNotFound()) return std::string(kMissing);
  if (!s.ok()) return "<error " + s.ToString() + ">";
  return data;
}

std::vector<std::string> Children(FileSystem* fs, const std::string& dir) {
  std::vector<std::string> names;
  if (!fs->GetChildren(dir, &names).ok()) return {"<error>"};
  std::sort(names.begin(), names.end());
  return names;
}

CrashOptions KeepAllUnsynced(CrashOptions::Fill fill) {
  CrashOptions options;
  options.unsynced_data = CrashOptions::UnsyncedData::kKeepAll;
  options.unsynced_fill = fill;
  return options;
}

class MemFsCrashTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(fs_->CreateDirIfMissing("/db"));
    ASSERT_OK(fs_->SyncDir("/"));
  }

  // A file holding `data`, synced, and with its directory entry synced.
  void WriteDurable(const std::string& path, std::string_view data) {
    ASSERT_OK(WriteStringToFile(fs_.get(), data, path, /*sync=*/true));
    ASSERT_OK(fs_->SyncDir("/db"));
  }

  std::string Crashed(const std::string& path, const CrashOptions& options = CrashOptions()) {
    return Contents(fs_->CrashClone(options).get(), path);
  }

  std::shared_ptr<MemFileSystem> fs_ = std::make_shared<MemFileSystem>();
};

TEST_F(MemFsCrashTest, OnlySyncedBytesSurvivePowerLoss) {
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(fs_->NewWritableFile("/db/f", &file));
  ASSERT_OK(file->Append("synced"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(fs_->SyncDir("/db"));
  ASSERT_OK(file->Append("+flushed"));
  ASSERT_OK(file->Flush());
  ASSERT_OK(file->Append("+buffered"));

  EXPECT_EQ("synced", Crashed("/db/f", CrashOptions::PowerLoss()));
  // A process crash keeps what reached the OS, never what was still in the process.
  EXPECT_EQ("synced+flushed", Crashed("/db/f", CrashOptions::ProcessCrash()));
  EXPECT_EQ("synced+flushed", Contents(fs_.get(), "/db/f"));  // the original is unchanged

  std::shared_ptr<MemFileSystem> before_close = fs_->CrashClone(CrashOptions::ProcessCrash());
  ASSERT_OK(file->Close());
  EXPECT_EQ("synced+flushed+buffered", Contents(fs_.get(), "/db/f"));
  EXPECT_EQ("synced", Crashed("/db/f"));  // Close is not Sync
  EXPECT_EQ("synced+flushed", Contents(before_close.get(), "/db/f"));
}

TEST_F(MemFsCrashTest, KeptUnsyncedBytesCanBeZeroedOrGarbage) {
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(fs_->NewWritableFile("/db/f", &file));
  ASSERT_OK(file->Append("synced"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(fs_->SyncDir("/db"));
  ASSERT_OK(file->Append("unsynced"));
  ASSERT_OK(file->Flush());

  EXPECT_EQ("synced" + std::string(8, '\0'),
            Crashed("/db/f", KeepAllUnsynced(CrashOptions::Fill::kZeros)));
  int differing = 0;
  for (uint64_t seed = 0; seed < 10; seed++) {
    CrashOptions options = KeepAllUnsynced(CrashOptions::Fill::kGarbage);
    options.seed = seed;
    const std::string crashed = Crashed("/db/f", options);
    ASSERT_EQ(14u, crashed.size());
    EXPECT_EQ("synced", crashed.substr(0, 6));  // synced bytes are never damaged
    if (crashed.substr(6) != "unsynced") differing++;
  }
  EXPECT_GT(differing, 0);
}

TEST_F(MemFsCrashTest, RandomPrefixOfUnsyncedTailIsReproducible) {
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(fs_->NewWritableFile("/db/f", &file));
  ASSERT_OK(file->Append("synced"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(fs_->SyncDir("/db"));
  const std::string all = "synced0123456789";
  ASSERT_OK(file->Append(all.substr(6)));
  ASSERT_OK(file->Flush());

  std::set<size_t> lengths;
  for (uint64_t seed = 0; seed < 64; seed++) {
    CrashOptions options;
    options.unsynced_data = CrashOptions::UnsyncedData::kKeepRandomPrefix;
    options.seed = seed;
    const std::string crashed = Crashed("/db/f", options);
    ASSERT_GE(crashed.size(), 6u);
    ASSERT_EQ(all.substr(0, crashed.size()), crashed);
    EXPECT_EQ(crashed, Crashed("/db/f", options)) << "same seed, same result";
    lengths.insert(crashed.size());
  }
  EXPECT_GE(lengths.size(), 5u);
}

TEST_F(MemFsCrashTest, UnsyncedCreationDisappearsUnlessDirectorySynced) {
  ASSERT_OK(WriteStringToFile(fs_.get(), "data", "/db/f", /*sync=*/true));
  EXPECT_EQ(kMissing, Crashed("/db/f"));  // the file is synced, its name is not
  EXPECT_EQ("data", Crashed("/db/f", CrashOptions::ProcessCrash()));
  ASSERT_OK(fs_->SyncDir("/db"));
  EXPECT_EQ("data", Crashed("/db/f"));
}

TEST_F(MemFsCrashTest, NewDirectoryNeedsItsParentSynced) {
  ASSERT_OK(fs_->CreateDirIfMissing("/db/sub"));
  ASSERT_OK(WriteStringToFile(fs_.get(), "data", "/db/sub/f", /*sync=*/true));
  ASSERT_OK(fs_->SyncDir("/db/sub"));
  std::shared_ptr<MemFileSystem> crashed = fs_->CrashClone(CrashOptions());
  EXPECT_TRUE(crashed->FileExists("/db/sub").IsNotFound());
  ASSERT_OK(fs_->SyncDir("/db"));
  EXPECT_EQ("data", Crashed("/db/sub/f"));
}

TEST_F(MemFsCrashTest, RenameIsUndoneWithoutDirectorySync) {
  WriteDurable("/db/old", "OLD");
  WriteDurable("/db/new", "NEW");
  ASSERT_OK(fs_->RenameFile("/db/new", "/db/old"));
  EXPECT_EQ("NEW", Contents(fs_.get(), "/db/old"));

  std::shared_ptr<MemFileSystem> crashed = fs_->CrashClone(CrashOptions());
  EXPECT_EQ("OLD", Contents(crashed.get(), "/db/old"));  // the replaced target is back
  EXPECT_EQ("NEW", Contents(crashed.get(), "/db/new"));  // and so is the source

  ASSERT_OK(fs_->SyncDir("/db"));
  crashed = fs_->CrashClone(CrashOptions());
  EXPECT_EQ("NEW", Contents(crashed.get(), "/db/old"));
  EXPECT_EQ(kMissing, Contents(crashed.get(), "/db/new"));
}

TEST_F(MemFsCrashTest, RenameIsNeverHalfApplied) {
  WriteDurable("/db/a", "A");
  WriteDurable("/db/b", "B");
  ASSERT_OK(fs_->RenameFile("/db/a", "/db/b"));
  std::set<std::vector<std::string>> outcomes;
  for (uint64_t seed = 0; seed < 32; seed++) {
    CrashOptions options;
    options.unsynced_dir_changes = CrashOptions::DirChanges::kKeepRandomPrefix;
    options.seed = seed;
    std::shared_ptr<MemFileSystem> crashed = fs_->CrashClone(options);
    outcomes.insert({Contents(crashed.get(), "/db/a"), Contents(crashed.get(), "/db/b")});
  }
  const std::set<std::vector<std::string>> expected{{"A", "B"}, {std::string(kMissing), "A"}};
  EXPECT_EQ(expected, outcomes);
}

TEST_F(MemFsCrashTest, UnsyncedDeleteIsUndone) {
  WriteDurable("/db/f", "data");
  ASSERT_OK(fs_->RemoveFile("/db/f"));
  EXPECT_EQ("data", Crashed("/db/f"));
  ASSERT_OK(fs_->SyncDir("/db"));
  EXPECT_EQ(kMissing, Crashed("/db/f"));

  // A file whose name was durable but whose data never was comes back empty.
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(fs_->NewWritableFile("/db/g", &file));
  ASSERT_OK(fs_->SyncDir("/db"));
  ASSERT_OK(file->Append("never synced"));
  ASSERT_OK(file->Close());
  ASSERT_OK(fs_->RemoveFile("/db/g"));
  EXPECT_EQ("", Crashed("/db/g"));
}

TEST_F(MemFsCrashTest, DirectoryChangesSurviveInOrder) {
  for (const char* name : {"1", "2", "3"}) {
    ASSERT_OK(WriteStringToFile(fs_.get(), name, std::string("/db/") + name, /*sync=*/true));
  }
  std::set<std::vector<std::string>> outcomes;
  for (uint64_t seed = 0; seed < 100; seed++) {
    CrashOptions options;
    options.unsynced_dir_changes = CrashOptions::DirChanges::kKeepRandomPrefix;
    options.seed = seed;
    outcomes.insert(Children(fs_->CrashClone(options).get(), "/db"));
  }
  const std::set<std::vector<std::string>> prefixes{{}, {"1"}, {"1", "2"}, {"1", "2", "3"}};
  EXPECT_EQ(prefixes, outcomes);
  CrashOptions keep;
  keep.unsynced_dir_changes = CrashOptions::DirChanges::kKeepAll;
  EXPECT_EQ((std::vector<std::string>{"1", "2", "3"}),
            Children(fs_->CrashClone(keep).get(), "/db"));
}

TEST_F(MemFsCrashTest, TruncationIsDurableAtOnce) {
  WriteDurable("/db/f", "old contents");
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(fs_->NewWritableFile("/db/f", &file));
  ASSERT_OK(file->Append("new"));
  ASSERT_OK(file->Flush());
  EXPECT_EQ("", Crashed("/db/f"));
  ASSERT_OK(file->Sync());
  EXPECT_EQ("new", Crashed("/db/f"));
}

TEST_F(MemFsCrashTest, CloneIsIndependentDurableAndLockFree) {
  WriteDurable("/db/f", "durable");
  std::unique_ptr<FileLock> lock;
  ASSERT_OK(fs_->LockFile("/db/LOCK", &lock));
  ASSERT_OK(fs_->SyncDir("/db"));
  std::shared_ptr<MemFileSystem> clone = fs_->CrashClone(CrashOptions());

  std::unique_ptr<FileLock> clone_lock;
  ASSERT_OK(clone->LockFile("/db/LOCK", &clone_lock));  // the crash released every lock
  ASSERT_OK(WriteStringToFile(clone.get(), "changed", "/db/f", /*sync=*/false));
  EXPECT_EQ("durable", Contents(fs_.get(), "/db/f"));
  // Everything a clone starts with is durable: cloning it again keeps it all.
  ASSERT_OK(WriteStringToFile(clone.get(), "x", "/db/unsynced", /*sync=*/false));
  std::shared_ptr<MemFileSystem> second = clone->CrashClone(CrashOptions());
  EXPECT_EQ((std::vector<std::string>{"LOCK", "f"}), Children(second.get(), "/db"));
  EXPECT_EQ("", Contents(second.get(), "/db/f"));  // truncated durably, rewrite unsynced

  ASSERT_NE(nullptr, CrashSimulation::Of(fs_.get()));
  std::shared_ptr<FileSystem> plain = NewMemFileSystem();
  ASSERT_NE(nullptr, CrashSimulation::Of(plain.get()));
  EXPECT_EQ(nullptr, CrashSimulation::Of(DefaultFileSystem().get()));
}

// Half-kept directory renames can make two directories each other's durable child; the clone
// must neither loop nor leak (the ASan build checks the latter).
TEST_F(MemFsCrashTest, DirectoryRenamesNeverLoop) {
  ASSERT_OK(fs_->CreateDirIfMissing("/x"));
  ASSERT_OK(fs_->CreateDirIfMissing("/x/y"));
  fs_->MarkAllDurable();
  ASSERT_OK(fs_->RenameFile("/x/y", "/y"));
  EXPECT_FALSE(fs_->RenameFile("/y", "/y/inside").ok());  // into itself
  ASSERT_OK(fs_->RenameFile("/x", "/y/x"));
  ASSERT_OK(fs_->SyncDir("/y"));  // /y durably holds x; x durably still holds y
  std::shared_ptr<MemFileSystem> crashed = fs_->CrashClone(CrashOptions());
  bool is_dir = false;
  ASSERT_OK(crashed->IsDirectory("/x/y", &is_dir));
  EXPECT_TRUE(is_dir);
  EXPECT_TRUE(Children(crashed.get(), "/x/y").empty());  // the second name of x is dropped
  EXPECT_EQ((std::vector<std::string>{"db", "x"}), Children(crashed.get(), "/"));
}

TEST_F(MemFsCrashTest, MarkAllDurable) {
  ASSERT_OK(fs_->CreateDirIfMissing("/db/sub"));
  ASSERT_OK(WriteStringToFile(fs_.get(), "data", "/db/sub/f", /*sync=*/false));
  fs_->MarkAllDurable();
  EXPECT_EQ("data", Crashed("/db/sub/f"));
}

TEST_F(MemFsCrashTest, CrashCloneWhileWriting) {
  constexpr int kRecords = 2000;
  constexpr size_t kRecordSize = 50;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::unique_ptr<WritableFile> file;
    Status s = fs_->NewWritableFile("/db/log", &file);
    if (s.ok()) s = fs_->SyncDir("/db");
    for (int i = 0; s.ok() && i < kRecords; i++) {
      s = file->Append(std::string(kRecordSize, static_cast<char>('a' + i % 26)));
      if (s.ok()) s = (i % 10 == 9) ? file->Sync() : file->Flush();
    }
    if (s.ok()) s = file->Close();
    EXPECT_OK(s);
    done = true;
  });
  size_t previous = 0;
  int clones = 0;
  bool consistent = true;
  while (consistent && (!done || clones == 0)) {
    const std::string crashed = Crashed("/db/log");
    if (crashed == kMissing) continue;
    // Durable data only grows, and always ends on a synced record boundary.
    consistent = crashed.size() >= previous && crashed.size() % (10 * kRecordSize) == 0;
    for (size_t i = 0; consistent && i < crashed.size(); i++) {
      consistent = crashed[i] == static_cast<char>('a' + (i / kRecordSize) % 26);
    }
    EXPECT_TRUE(consistent) << "clone " << clones << " of " << crashed.size() << " bytes";
    previous = crashed.size();
    clones++;
  }
  writer.join();
  EXPECT_EQ(kRecords * kRecordSize, Crashed("/db/log").size());
}

// SetCurrentFile (write temp, fsync, rename, fsync dir) interrupted after any number of its file
// system calls, then hit by any kind of crash, leaves the old or the new CURRENT: never an
// empty, garbled or missing one. Once it has returned ok, only the new one.
TEST(MemFsSetCurrentFileTest, EveryStepLeavesOldOrNewCurrent) {
  const std::string kOld = "MANIFEST-000001\n";
  const std::string kNew = "MANIFEST-000002\n";
  auto setup = [&]() {
    auto mem = std::make_shared<MemFileSystem>();
    EXPECT_OK(mem->CreateDirIfMissing("/db"));
    EXPECT_OK(SetCurrentFile(mem.get(), "/db", 1));
    mem->MarkAllDurable();
    return mem;
  };
  uint64_t steps = 0;
  {
    std::shared_ptr<MemFileSystem> mem = setup();
    FaultInjectionFileSystem counting(mem);
    ASSERT_OK(SetCurrentFile(&counting, "/db", 2));
    steps = counting.TotalCalls();
  }
  ASSERT_GE(steps, 6u);  // open, append, sync, close, rename, dir sync

  std::vector<CrashOptions> crashes{CrashOptions::PowerLoss(), CrashOptions::ProcessCrash()};
  for (uint64_t seed = 1; seed <= 30; seed++) crashes.push_back(CrashOptions::Randomized(seed));

  for (uint64_t completed = 0; completed <= steps; completed++) {
    SCOPED_TRACE("calls completed: " + std::to_string(completed));
    std::shared_ptr<MemFileSystem> mem = setup();
    auto fi = std::make_shared<FaultInjectionFileSystem>(mem);
    if (completed < steps) fi->AddFault(FaultSpec::FromNth(kAnyOp, completed + 1));
    const Status s = SetCurrentFile(fi.get(), "/db", 2);
    ASSERT_EQ(completed == steps, s.ok()) << s.ToString();
    for (const CrashOptions& options : crashes) {
      const std::string current = Contents(mem->CrashClone(options).get(), "/db/CURRENT");
      if (completed == steps) {
        EXPECT_EQ(kNew, current);
      } else {
        EXPECT_TRUE(current == kOld || current == kNew) << current;
      }
    }
  }
}

}  // namespace
}  // namespace strata
