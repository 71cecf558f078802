// DB behaviour through the public API: reads, writes, batches, iterators, snapshots, flush,
// compaction, reopen, limits and bad input. Runs on the in-memory FS for speed; the POSIX file
// system gets its own cases.

#include "strata/db.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fs/mapped_region.h"
#include "reliability_util.h"
#include "testutil.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "wal/log_format.h"

namespace strata {
namespace {

class DBTest : public testing::Test {
 protected:
  DBTest() {
    options_.create_if_missing = true;
    options_.file_system = fs_;
    Reopen();
  }

  void Reopen() {
    db_.reset();
    ASSERT_OK(DB::Open(options_, path_, &db_));
  }

  void Close() { db_.reset(); }

  Status Put(std::string_view k, std::string_view v) { return db_->Put(WriteOptions(), k, v); }
  Status Delete(std::string_view k) { return db_->Delete(WriteOptions(), k); }

  std::string Get(std::string_view k, const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::string value;
    const Status s = db_->Get(ro, k, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return value;
  }

  // "k1=v1,k2=v2" from a forward scan; errors appended.
  std::string Contents(const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    std::string result;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!result.empty()) result += ",";
      result += std::string(it->key()) + "=" + std::string(it->value());
    }
    if (!it->status().ok()) result += " ERROR: " + it->status().ToString();
    return result;
  }

  std::string ContentsBackward() {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    std::string result;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (!result.empty()) result += ",";
      result += std::string(it->key()) + "=" + std::string(it->value());
    }
    if (!it->status().ok()) result += " ERROR: " + it->status().ToString();
    return result;
  }

  int FilesAtLevel(int level) {
    std::string value;
    EXPECT_TRUE(db_->GetProperty("strata.num-files-at-level" + std::to_string(level), &value));
    return std::stoi(value);
  }

  int TotalFiles() {
    int total = 0;
    for (int level = 0; level < kNumLevels; level++) total += FilesAtLevel(level);
    return total;
  }

  std::shared_ptr<FileSystem> fs_ = NewMemFileSystem();
  std::string path_ = "/db";
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(DBTest, EmptyDB) {
  EXPECT_EQ("NOT_FOUND", Get("foo"));
  EXPECT_EQ("", Contents());
}

TEST_F(DBTest, PutGetDelete) {
  ASSERT_OK(Put("foo", "v1"));
  EXPECT_EQ("v1", Get("foo"));
  ASSERT_OK(Put("bar", "v2"));
  ASSERT_OK(Put("foo", "v3"));
  EXPECT_EQ("v3", Get("foo"));
  EXPECT_EQ("v2", Get("bar"));
  ASSERT_OK(Delete("foo"));
  EXPECT_EQ("NOT_FOUND", Get("foo"));
  ASSERT_OK(Delete("never-existed"));
  EXPECT_EQ("bar=v2", Contents());
}

TEST_F(DBTest, EmptyKeysAndValuesAndBinaryBytes) {
  ASSERT_OK(Put("", "empty-key"));
  ASSERT_OK(Put("k", ""));
  const std::string binary_key("a\0b\xff", 4);
  const std::string binary_value("\0\0\x01\xfe", 4);
  ASSERT_OK(Put(binary_key, binary_value));
  EXPECT_EQ("empty-key", Get(""));
  EXPECT_EQ("", Get("k"));
  EXPECT_EQ(binary_value, Get(binary_key));
  ASSERT_OK(db_->Flush());
  EXPECT_EQ("empty-key", Get(""));
  EXPECT_EQ("", Get("k"));
  EXPECT_EQ(binary_value, Get(binary_key));
}

TEST_F(DBTest, GetFromMemtableImmutableAndLevels) {
  ASSERT_OK(Put("a", "1"));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(Put("b", "2"));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(Put("a", "3"));  // newer version in the memtable shadows the SST
  EXPECT_EQ("3", Get("a"));
  EXPECT_EQ("2", Get("b"));
  ASSERT_OK(Delete("b"));  // deletion in the memtable hides the SST value
  EXPECT_EQ("NOT_FOUND", Get("b"));
  ASSERT_OK(db_->Flush());
  EXPECT_EQ("NOT_FOUND", Get("b"));
  EXPECT_EQ("a=3", Contents());
}

TEST_F(DBTest, WriteBatchIsAtomicAndOrdered) {
  WriteBatch batch;
  batch.Put("x", "1");
  batch.Put("y", "2");
  batch.Delete("x");
  batch.Put("z", "3");
  batch.Put("z", "4");  // the later operation on a key wins
  EXPECT_EQ(5u, batch.Count());
  ASSERT_OK(db_->Write(WriteOptions(), &batch));
  EXPECT_EQ("y=2,z=4", Contents());
  batch.Clear();
  EXPECT_EQ(0u, batch.Count());
  ASSERT_OK(db_->Write(WriteOptions(), &batch));  // empty batch: nothing happens
  EXPECT_EQ("y=2,z=4", Contents());
}

TEST_F(DBTest, KeyAndValueLimits) {
  const std::string max_key(kMaxKeySize, 'k');
  ASSERT_OK(Put(max_key, "v"));
  EXPECT_EQ("v", Get(max_key));

  const std::string too_long_key(kMaxKeySize + 1, 'k');
  Status s = Put(too_long_key, "v");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("key")) << s.ToString();
  s = Delete(too_long_key);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();

  // One oversized entry fails the whole batch: nothing of it is applied.
  WriteBatch batch;
  batch.Put("fine", "v");
  batch.Put(too_long_key, "v");
  s = db_->Write(WriteOptions(), &batch);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ("NOT_FOUND", Get("fine"));
  ASSERT_OK(db_->Flush());
  EXPECT_EQ("v", Get(max_key));
}

TEST_F(DBTest, ValueLimit) {
  // A value of exactly the limit round-trips through the WAL, the memtable and an SST; one byte
  // more is refused.
  std::string value(kMaxValueSize, 'v');
  value[12345] = 'x';
  ASSERT_OK(Put("big", value));
  std::string got;
  ASSERT_OK(db_->Get(ReadOptions(), "big", &got));
  EXPECT_TRUE(got == value);
  value.push_back('!');
  const Status s = Put("bigger", value);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("value")) << s.ToString();
  value.pop_back();
  ASSERT_OK(db_->Flush());
  got.clear();
  ASSERT_OK(db_->Get(ReadOptions(), "big", &got));
  EXPECT_TRUE(got == value);
  Reopen();
  got.clear();
  ASSERT_OK(db_->Get(ReadOptions(), "big", &got));
  EXPECT_TRUE(got == value);
}

TEST_F(DBTest, IteratorForwardBackwardSeek) {
  for (const char* k : {"a", "c", "e", "g"}) ASSERT_OK(Put(k, std::string("v") + k));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(Put("b", "vb"));
  ASSERT_OK(Delete("e"));
  ASSERT_OK(Put("g", "vg2"));
  EXPECT_EQ("a=va,b=vb,c=vc,g=vg2", Contents());
  EXPECT_EQ("g=vg2,c=vc,b=vb,a=va", ContentsBackward());

  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->Seek("d");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("g", it->key());  // e is deleted
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("c", it->key());
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("g", it->key());
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->Seek("");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("a", it->key());
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek("zzz");
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("g", it->key());
  EXPECT_EQ("vg2", it->value());
  EXPECT_OK(it->status());
}

TEST_F(DBTest, IteratorSeesStateAtCreation) {
  ASSERT_OK(Put("a", "1"));
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  ASSERT_OK(Put("a", "2"));
  ASSERT_OK(Put("b", "3"));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("a", it->key());
  EXPECT_EQ("1", it->value());
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_OK(it->status());
}

TEST_F(DBTest, SnapshotsSurviveFlushAndCompaction) {
  ASSERT_OK(Put("k", "v1"));
  const Snapshot* s1 = db_->GetSnapshot();
  ASSERT_OK(Put("k", "v2"));
  const Snapshot* s2 = db_->GetSnapshot();
  ASSERT_OK(Delete("k"));
  const Snapshot* s3 = db_->GetSnapshot();
  ASSERT_OK(Put("k", "v4"));
  for (int round = 0; round < 3; round++) {
    EXPECT_EQ("v1", Get("k", s1));
    EXPECT_EQ("v2", Get("k", s2));
    EXPECT_EQ("NOT_FOUND", Get("k", s3));
    EXPECT_EQ("v4", Get("k"));
    EXPECT_EQ("k=v1", Contents(s1));
    EXPECT_EQ("", Contents(s3));
    if (round == 0) ASSERT_OK(db_->Flush());
    if (round == 1) ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  }
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
  db_->ReleaseSnapshot(s3);
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ("v4", Get("k"));
}

TEST_F(DBTest, CompactionDropsDeletedKeys) {
  for (int i = 0; i < 100; i++) ASSERT_OK(Put(test::NumberKey(i), "value"));
  ASSERT_OK(db_->Flush());
  for (int i = 0; i < 100; i++) ASSERT_OK(Delete(test::NumberKey(i)));
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ("", Contents());
  EXPECT_EQ(0, TotalFiles()) << "tombstones at the bottom with no snapshot must be dropped";
}

TEST_F(DBTest, FlushCreatesTableAndCompactRangeMovesDown) {
  EXPECT_EQ(0, TotalFiles());
  ASSERT_OK(Put("a", "1"));
  ASSERT_OK(db_->Flush());
  EXPECT_EQ(1, TotalFiles());
  ASSERT_OK(Put("a", "2"));
  ASSERT_OK(Put("b", "2"));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(0, FilesAtLevel(0));
  EXPECT_EQ("a=2,b=2", Contents());
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("strata.stats", &stats));
  EXPECT_NE(std::string::npos, stats.find("Write amplification")) << stats;
  std::string unknown;
  EXPECT_FALSE(db_->GetProperty("strata.no-such-property", &unknown));
  EXPECT_FALSE(db_->GetProperty("strata.num-files-at-level99", &unknown));
}

TEST_F(DBTest, ManyWritesWithSmallBuffersTriggerCompactions) {
  options_.write_buffer_size = 16 * 1024;
  options_.max_bytes_for_level_base = 64 * 1024;
  options_.target_file_size_base = 16 * 1024;
  options_.level0_file_num_compaction_trigger = 2;
  Reopen();
  Random rnd(test::TestSeed());
  std::map<std::string, std::string> model;
  for (int i = 0; i < 20000; i++) {
    const std::string key = test::NumberKey(rnd.Uniform(2000));
    if (rnd.OneIn(5)) {
      ASSERT_OK(Delete(key));
      model.erase(key);
    } else {
      const std::string value = test::RandomString(&rnd, rnd.Uniform(100));
      ASSERT_OK(Put(key, value));
      model[key] = value;
    }
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  int deeper = 0;
  for (int level = 1; level < kNumLevels; level++) deeper += FilesAtLevel(level);
  EXPECT_GT(deeper, 0);
  std::string expected;
  for (const auto& [k, v] : model) {
    if (!expected.empty()) expected += ",";
    expected += k + "=" + v;
  }
  EXPECT_EQ(expected, Contents());
  Reopen();
  EXPECT_EQ(expected, Contents());
  ASSERT_OK(db_->VerifyChecksums());
}

TEST_F(DBTest, ReopenKeepsEverything) {
  ASSERT_OK(Put("a", "1"));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(Put("b", "2"));  // only in the WAL
  ASSERT_OK(Delete("a"));
  std::string expected = "b=2";
  for (int i = 0; i < 3; i++) {
    Reopen();
    EXPECT_EQ(expected, Contents());
    ASSERT_OK(Put("c" + std::to_string(i), "x"));
    expected += ",c" + std::to_string(i) + "=x";
  }
  EXPECT_EQ("b=2,c0=x,c1=x,c2=x", Contents());
}

TEST_F(DBTest, SequenceNumbersContinueAfterReopen) {
  ASSERT_OK(Put("k", "old"));
  Reopen();
  ASSERT_OK(Put("k", "new"));
  EXPECT_EQ("new", Get("k"));
  Reopen();
  EXPECT_EQ("new", Get("k"));
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ("new", Get("k"));
}

TEST_F(DBTest, OpenMissingWithoutCreateFails) {
  Close();
  Options options;
  options.file_system = fs_;
  std::unique_ptr<DB> db;
  const Status s = DB::Open(options, "/missing", &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("create_if_missing")) << s.ToString();
  EXPECT_EQ(nullptr, db);
}

TEST_F(DBTest, ErrorIfExists) {
  Close();
  options_.error_if_exists = true;
  std::unique_ptr<DB> db;
  const Status s = DB::Open(options_, path_, &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("error_if_exists")) << s.ToString();
}

TEST_F(DBTest, SecondOpenIsBusy) {
  std::unique_ptr<DB> second;
  const Status s = DB::Open(options_, path_, &second);
  EXPECT_TRUE(s.IsBusy() || s.IsIOError()) << s.ToString();
  EXPECT_EQ(nullptr, second);
  Close();
  ASSERT_OK(DB::Open(options_, path_, &second));  // released on close
}

TEST_F(DBTest, PathIsAFile) {
  Close();
  std::unique_ptr<WritableFile> f;
  ASSERT_OK(fs_->NewWritableFile("/plainfile", &f));
  ASSERT_OK(f->Close());
  std::unique_ptr<DB> db;
  const Status s = DB::Open(options_, "/plainfile", &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("not a directory")) << s.ToString();
}

TEST_F(DBTest, InvalidOptionsNameTheField) {
  Close();
  struct Case {
    const char* field;
    void (*mutate)(Options*);
  };
  const Case cases[] = {
      {"write_buffer_size", [](Options* o) { o->write_buffer_size = 10; }},
      {"max_write_buffer_number", [](Options* o) { o->max_write_buffer_number = 1; }},
      {"block_size", [](Options* o) { o->block_size = 0; }},
      {"block_restart_interval", [](Options* o) { o->block_restart_interval = 0; }},
      {"bloom_bits_per_key", [](Options* o) { o->bloom_bits_per_key = -1; }},
      {"max_open_files", [](Options* o) { o->max_open_files = 0; }},
      {"level0_slowdown_writes_trigger", [](Options* o) { o->level0_slowdown_writes_trigger = 1; }},
      {"level0_stop_writes_trigger", [](Options* o) { o->level0_stop_writes_trigger = 5; }},
      {"max_bytes_for_level_multiplier",
       [](Options* o) { o->max_bytes_for_level_multiplier = 0.5; }},
      {"target_file_size_base", [](Options* o) { o->target_file_size_base = 1; }},
  };
  for (const Case& c : cases) {
    Options options = options_;
    c.mutate(&options);
    std::unique_ptr<DB> db;
    const Status s = DB::Open(options, path_, &db);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.field << ": " << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find(c.field)) << s.ToString();
  }
}

class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.ReverseComparator"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST_F(DBTest, ComparatorMismatchIsRefused) {
  ASSERT_OK(Put("a", "1"));
  Close();
  static const ReverseComparator kReverse;
  Options options = options_;
  options.comparator = &kReverse;
  std::unique_ptr<DB> db;
  const Status s = DB::Open(options, path_, &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("comparator")) << s.ToString();
}

// Files written by a newer strata (a higher format version) are refused with NotSupported
// naming the file, not misread and not reported as damage.
TEST_F(DBTest, NewerFormatVersionsAreNotSupported) {
  ASSERT_OK(Put("a", "1"));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(Put("b", "2"));
  Close();
  const auto manifests = test::FileNumbers(fs_.get(), path_, FileType::kDescriptorFile);
  const auto wals = test::FileNumbers(fs_.get(), path_, FileType::kLogFile);
  const auto ssts = test::FileNumbers(fs_.get(), path_, FileType::kTableFile);
  ASSERT_EQ(manifests.size(), 1u);
  ASSERT_EQ(ssts.size(), 1u);
  ASSERT_FALSE(wals.empty());

  // A log file's header record: fixed32 checksum, fixed16 length, type, then the 21-byte
  // header (magic, fixed32 format_version at file offset 15, kind, file number).
  auto with_log_version = [&](const std::string& path, uint32_t version) {
    std::string data = test::ReadWholeFile(fs_.get(), path);
    EncodeFixed32(data.data() + 15, version);
    const std::string_view record = std::string_view(data).substr(6, 22);  // type | header
    EncodeFixed32(data.data(), Checksum32(record, log::kChecksumSeed));
    test::WriteWholeFile(fs_.get(), path, data);
  };
  for (const std::string& path :
       {DescriptorFileName(path_, manifests[0]), LogFileName(path_, wals.back())}) {
    SCOPED_TRACE(path);
    const std::string original = test::ReadWholeFile(fs_.get(), path);
    with_log_version(path, 2);
    std::unique_ptr<DB> db;
    const Status s = DB::Open(options_, path_, &db);
    EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
    EXPECT_NE(s.ToString().find(path), std::string::npos) << s.ToString();
    EXPECT_EQ(db, nullptr);
    test::WriteWholeFile(fs_.get(), path, original);
  }

  // An SST's footer keeps fixed32 format_version 12 bytes before the end of the file.
  const std::string sst = TableFileName(path_, ssts[0]);
  const std::string original = test::ReadWholeFile(fs_.get(), sst);
  std::string newer = original;
  EncodeFixed32(newer.data() + newer.size() - 12, 2);
  test::WriteWholeFile(fs_.get(), sst, newer);
  Reopen();
  std::string value;
  const Status s = db_->Get(ReadOptions(), "a", &value);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EXPECT_NE(s.ToString().find(sst), std::string::npos) << s.ToString();
  Close();
  test::WriteWholeFile(fs_.get(), sst, original);
  Reopen();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "2");
}

// An empty batch written with sync makes every earlier write durable, as any sync write does.
TEST_F(DBTest, EmptySyncWriteMakesEarlierWritesDurable) {
  ASSERT_OK(Put("a", "1"));
  ASSERT_OK(Put("b", "2"));
  WriteBatch empty;
  WriteOptions sync;
  sync.sync = true;
  ASSERT_OK(db_->Write(sync, &empty));
  ASSERT_OK(db_->Write(WriteOptions(), &empty));  // no-op
  fs_ = CrashSimulation::Of(fs_.get())->CrashClone(CrashOptions::PowerLoss());
  options_.file_system = fs_;
  Reopen();
  EXPECT_EQ(Contents(), "a=1,b=2");
  ASSERT_OK(Put("c", "3"));  // sequence numbers go on after the empty write
  Reopen();
  EXPECT_EQ(Contents(), "a=1,b=2,c=3");
}

TEST_F(DBTest, CustomComparatorOrdersKeys) {
  Close();
  static const ReverseComparator kReverse;
  options_.comparator = &kReverse;
  path_ = "/reverse";
  Reopen();
  for (const char* k : {"a", "b", "c"}) ASSERT_OK(Put(k, k));
  ASSERT_OK(db_->Flush());
  ASSERT_OK(Put("d", "d"));
  EXPECT_EQ("d=d,c=c,b=b,a=a", Contents());
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ("d=d,c=c,b=b,a=a", Contents());
  EXPECT_EQ("b", Get("b"));
}

TEST_F(DBTest, DestroyDBRemovesEverything) {
  ASSERT_OK(Put("a", "1"));
  ASSERT_OK(db_->Flush());
  EXPECT_TRUE(DestroyDB(path_, options_).IsBusy());  // still open
  Close();
  ASSERT_OK(DestroyDB(path_, options_));
  EXPECT_TRUE(fs_->FileExists(path_).IsNotFound());
  Reopen();
  EXPECT_EQ("", Contents());
  ASSERT_OK(DestroyDB("/never-created", options_));
}

TEST_F(DBTest, ObsoleteFilesAreDeleted) {
  options_.write_buffer_size = 4096;
  Reopen();
  for (int i = 0; i < 2000; i++) ASSERT_OK(Put(test::NumberKey(i % 100), std::string(50, 'x')));
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  std::vector<std::string> children;
  ASSERT_OK(fs_->GetChildren(path_, &children));
  int tables = 0, logs = 0;
  for (const std::string& name : children) {
    if (name.ends_with(".sst")) tables++;
    if (name.ends_with(".log")) logs++;
  }
  EXPECT_EQ(TotalFiles(), tables);
  EXPECT_EQ(1, logs);
}

// The same basic behaviour on the real file system.
TEST(DBPosixTest, WriteReopenRead) {
  test::TempDir dir;
  Options options;
  options.create_if_missing = true;
  const std::string path = dir.path() + "/db";
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, path, &db));
  WriteOptions sync;
  sync.sync = true;
  for (int i = 0; i < 1000; i++) {
    ASSERT_OK(
        db->Put(i % 10 == 0 ? sync : WriteOptions(), test::NumberKey(i), "v" + std::to_string(i)));
  }
  ASSERT_OK(db->Flush());
  ASSERT_OK(db->Delete(WriteOptions(), test::NumberKey(5)));
  db.reset();
  ASSERT_OK(DB::Open(options, path, &db));
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), test::NumberKey(999), &value));
  EXPECT_EQ("v999", value);
  EXPECT_TRUE(db->Get(ReadOptions(), test::NumberKey(5), &value).IsNotFound());
  std::unique_ptr<DB> second;
  const Status busy = DB::Open(options, path, &second);
  EXPECT_TRUE(busy.IsBusy()) << busy.ToString();
  db.reset();
  ASSERT_OK(DestroyDB(path, options));
}

// Reads it forward from where it stands while Valid(), expecting the model's entries in order
// from the first; returns how many entries it read (stopping at the first mismatch).
size_t ExpectModelEntries(Iterator* it, const std::map<std::string, std::string>& model) {
  size_t n = 0;
  for (auto expected = model.begin(); it->Valid(); it->Next(), ++expected, ++n) {
    if (expected == model.end()) {
      ADD_FAILURE() << "entry past the model's last: " << it->key();
      break;
    }
    if (expected->first != it->key() || expected->second != it->value()) {
      ADD_FAILURE() << "entry " << n << ": expected " << expected->first << ", got "
                    << it->key() << (expected->first == it->key() ? " (value differs)" : "");
      break;
    }
  }
  return n;
}

// Reads through memory mappings (Options::use_mmap_reads, the default) and with pread return the
// same data, through Get, iterators, compaction and checksum verification.
class DBReadModeTest : public testing::TestWithParam<bool> {};

TEST_P(DBReadModeTest, ReadsReturnWhatWasWritten) {
  test::TempDir dir;
  Options options;
  options.create_if_missing = true;
  options.use_mmap_reads = GetParam();
  options.write_buffer_size = 64 * 1024;
  const std::string path = dir.path() + "/db";
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, path, &db));
  std::map<std::string, std::string> model;
  Random rnd(test::TestSeed());
  for (int i = 0; i < 5000; i++) {
    const std::string key = test::NumberKey(rnd.Uniform(2000));
    const std::string value = test::RandomString(&rnd, rnd.Uniform(300));
    ASSERT_OK(db->Put(WriteOptions(), key, value));
    model[key] = value;
  }
  ASSERT_OK(db->Flush());
  for (int pass = 0; pass < 3; pass++) {
    for (const auto& [k, v] : model) {
      std::string got;
      ASSERT_OK(db->Get(ReadOptions(), k, &got));
      ASSERT_EQ(v, got);
    }
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    it->SeekToFirst();
    EXPECT_EQ(model.size(), ExpectModelEntries(it.get(), model));
    ASSERT_OK(it->status());
    it.reset();
    ASSERT_OK(db->VerifyChecksums());
    if (pass == 0) ASSERT_OK(db->CompactRange(nullptr, nullptr));
    if (pass == 1) {
      db.reset();
      ASSERT_OK(DB::Open(options, path, &db));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(MmapAndPread, DBReadModeTest, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "Mmap" : "Pread";
                         });

// An SST that loses pages under its mapping (here: truncated behind the DB's back; a disk I/O
// error raises the same SIGBUS) fails each read that touches the lost pages with an IOError
// naming the file: never a dead process, a wrong value or a false NotFound. Once the file is
// whole again, reads succeed again (the table is mapped afresh).
TEST(DBPosixTest, MappedTableThatLosesPagesFailsReadsWithIOError) {
  test::TempDir dir;
  Options options;
  options.create_if_missing = true;
  ASSERT_TRUE(options.use_mmap_reads);
  const std::string path = dir.path() + "/db";
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, path, &db));
  std::map<std::string, std::string> model;
  Random rnd(test::TestSeed());
  for (int i = 0; i < 3000; i++) {
    const std::string key = test::NumberKey(i);
    model[key] = test::RandomString(&rnd, 100 + rnd.Uniform(200));
    ASSERT_OK(db->Put(WriteOptions(), key, model[key]));
  }
  ASSERT_OK(db->Flush());
  std::vector<std::string> children;
  ASSERT_OK(DefaultFileSystem()->GetChildren(path, &children));
  std::string sst;
  for (const std::string& name : children) {
    if (name.ends_with(".sst")) sst = path + "/" + name;
  }
  ASSERT_FALSE(sst.empty());
  std::string contents;
  {
    std::ifstream in(sst, std::ios::binary);
    contents.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(contents.size(), 0u);
  // Every read maps the table now; one scan is under way when the pages go.
  std::string got;
  ASSERT_OK(db->Get(ReadOptions(), model.begin()->first, &got));
  std::unique_ptr<Iterator> scan = db->NewIterator(ReadOptions());
  scan->SeekToFirst();
  ASSERT_TRUE(scan->Valid());

  // Keep the first half: data blocks of the first half of the keys; the rest of the data, the
  // index and the filter are lost.
  ASSERT_EQ(0, truncate(sst.c_str(), static_cast<off_t>(contents.size() / 2)));
  const uint64_t faults_before = mapped_region::TotalFaults();
  EXPECT_LT(ExpectModelEntries(scan.get(), model), model.size())
      << "the scan cannot have seen every key";
  EXPECT_TRUE(scan->status().IsIOError()) << scan->status().ToString();
  scan.reset();
  EXPECT_GT(mapped_region::TotalFaults(), faults_before);
  for (const auto& [k, v] : model) {
    const Status s = db->Get(ReadOptions(), k, &got);
    if (s.ok()) {
      ASSERT_EQ(v, got) << k;
      continue;
    }
    // The table is mapped afresh (its old mapping failed) and found shorter than the MANIFEST
    // says: Corruption.
    ASSERT_TRUE(s.IsIOError() || s.IsCorruption()) << k << ": " << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find(sst)) << s.ToString();
  }
  {
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    it->SeekToFirst();
    ExpectModelEntries(it.get(), model);
    EXPECT_FALSE(it->status().ok()) << "a scan over lost pages must not end quietly";
  }
  EXPECT_FALSE(db->VerifyChecksums().ok());

  // The file whole again (its pages re-read from disk): every read succeeds.
  {
    std::unique_ptr<WritableFile> w;
    ASSERT_OK(DefaultFileSystem()->NewWritableFile(sst, &w));
    ASSERT_OK(w->Append(contents));
    ASSERT_OK(w->Close());
  }
  for (const auto& [k, v] : model) {
    ASSERT_OK(db->Get(ReadOptions(), k, &got));
    ASSERT_EQ(v, got);
  }
  ASSERT_OK(db->VerifyChecksums());

  // A point read that meets lost pages (the filter, at the end of the file) fails with the
  // mapping's IOError, not NotFound.
  ASSERT_EQ(0, truncate(sst.c_str(), static_cast<off_t>(contents.size() / 2)));
  const Status lost = db->Get(ReadOptions(), model.begin()->first, &got);
  EXPECT_TRUE(lost.IsIOError()) << lost.ToString();
  EXPECT_NE(std::string::npos, lost.ToString().find(sst)) << lost.ToString();
  EXPECT_NE(std::string::npos, lost.ToString().find("memory-mapped")) << lost.ToString();

  // Nothing above was a background error: the DB still takes writes.
  ASSERT_OK(db->Put(WriteOptions(), "after", "ok"));
}

}  // namespace
}  // namespace strata
