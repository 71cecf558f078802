// Replays the inputs of the fuzz targets (docs/testing.md) in the normal build: every
// seed of fuzz/corpus/<target>/ and every saved crash input of fuzz/regressions/<target>/ goes
// through the same function the fuzzer calls (fuzz/targets.h). A target aborts on a violated
// invariant, printing the invariant and the input's name, which fails this test.
//
// The inputs are found next to this source file (or under $STRATA_FUZZ_DIR).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/targets.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "fs/mem_fs.h"
#include "memtable/memtable.h"
#include "testutil.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

fs::path FuzzDir() {
  if (const char* dir = std::getenv("STRATA_FUZZ_DIR")) return fs::path(dir);
  return fs::path(__FILE__).parent_path().parent_path() / "fuzz";
}

// The files of dir, sorted by name (none if dir does not exist).
std::vector<fs::path> InputsIn(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadInput(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Replay(const fuzz::FuzzTarget& target, const fs::path& input) {
  fuzz::CurrentInputName() = input.string();
  target.run(ReadInput(input));
  fuzz::CurrentInputName().clear();
}

class FuzzTargetTest : public testing::TestWithParam<fuzz::FuzzTarget> {};

TEST_P(FuzzTargetTest, SeedCorpusPasses) {
  const fs::path dir = FuzzDir() / "corpus" / std::string(GetParam().name);
  const std::vector<fs::path> inputs = InputsIn(dir);
  ASSERT_FALSE(inputs.empty()) << "no seed inputs in " << dir;
  for (const fs::path& input : inputs) Replay(GetParam(), input);
}

TEST_P(FuzzTargetTest, SavedCrashInputsPass) {
  const fs::path dir = FuzzDir() / "regressions" / std::string(GetParam().name);
  for (const fs::path& input : InputsIn(dir)) Replay(GetParam(), input);
}

INSTANTIATE_TEST_SUITE_P(AllTargets, FuzzTargetTest, testing::ValuesIn(fuzz::kFuzzTargets),
                         [](const testing::TestParamInfo<fuzz::FuzzTarget>& info) {
                           return std::string(info.param.name);
                         });

// ---- Crashes found by the fuzzers, stated as behaviour -------------------------------------

// write_batch_fuzzer (fuzz/regressions/write_batch_fuzzer/sequence-beyond-56-bits): a batch whose
// header claims a sequence number beyond 56 bits, or whose last record's would be, reached
// MemTable::Add's assertion (and, without assertions, wrapped the packed tag). It is damage, and
// InsertInto reports it before inserting anything.
TEST(FuzzRegressionTest, WriteBatchSequencesBeyondTheLimitAreCorruption) {
  const InternalKeyComparator icmp(BytewiseComparator());
  WriteBatch batch;
  batch.Put("a", "x");
  batch.Delete("b");
  for (const SequenceNumber seq :
       {kMaxSequenceNumber, kMaxSequenceNumber + 1, ~SequenceNumber{0}, SequenceNumber{3} << 56}) {
    WriteBatchInternal::SetSequence(&batch, seq);
    MemTable mem(icmp);
    const Status s = WriteBatchInternal::InsertInto(&batch, &mem);
    EXPECT_TRUE(s.IsCorruption()) << seq << ": " << s.ToString();
    EXPECT_EQ(mem.NumEntries(), 0u) << seq;
  }
  WriteBatchInternal::SetSequence(&batch, kMaxSequenceNumber - 1);  // the last record fits
  MemTable mem(icmp);
  ASSERT_OK(WriteBatchInternal::InsertInto(&batch, &mem));
  EXPECT_EQ(mem.NumEntries(), 2u);
  WriteBatch empty;
  WriteBatchInternal::SetSequence(&empty, ~SequenceNumber{0});  // no record, no sequence used
  ASSERT_OK(WriteBatchInternal::InsertInto(&empty, &mem));
}

// db_open_fuzzer (fuzz/regressions/db_open_fuzzer/compaction-input-out-of-order): a table whose
// checksums verify but whose keys do not increase (damage the checksums cannot see) reached
// TableBuilder::Add's assertion through a compaction, and without assertions became an
// unordered output table. The compaction now fails with Corruption and installs nothing.
TEST(FuzzRegressionTest, CompactionRefusesInputsWithKeysOutOfOrder) {
  auto fs = std::make_shared<MemFileSystem>();
  Options options;
  options.create_if_missing = true;
  options.file_system = fs;
  options.level0_file_num_compaction_trigger = 8;  // no compaction but the one asked for
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, "/db", &db));
  for (const char k : std::string("acegikmo")) {
    ASSERT_OK(db->Put(WriteOptions(), std::string(1, k), std::string("value-") + k));
  }
  ASSERT_OK(db->Flush());
  ASSERT_OK(db->Put(WriteOptions(), "d", "in an overlapping table"));
  ASSERT_OK(db->Flush());
  db.reset();

  // In the first table, turn key "e" into "b": a, c, b, g, ... with every checksum recomputed.
  std::vector<std::string> names;
  ASSERT_OK(fs->GetChildren("/db", &names));
  std::string first_table;
  for (const std::string& name : names) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && type == FileType::kTableFile &&
        (first_table.empty() || name < first_table)) {
      first_table = name;
    }
  }
  ASSERT_FALSE(first_table.empty());
  const std::string path = "/db/" + first_table;
  std::string contents;
  ASSERT_OK(ReadFileToString(fs.get(), path, &contents));
  const size_t value = contents.find("value-e");
  ASSERT_NE(value, std::string::npos);
  ASSERT_EQ(contents[value - 9], 'e');  // the key's one byte, then its 8-byte tag
  contents[value - 9] = 'b';
  const InternalKeyComparator icmp(BytewiseComparator());
  fuzz::FixTableChecksums(&contents, &icmp);
  ASSERT_OK(WriteStringToFile(fs.get(), contents, path, /*sync=*/true));

  ASSERT_OK(DB::Open(options, "/db", &db));
  ASSERT_OK(db->VerifyChecksums());  // the damage is invisible to checksums
  auto scan = [&db] {
    std::string out;
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.append(it->key()).append(",");
    EXPECT_OK(it->status());
    return out;
  };
  const std::string before = scan();
  const Status s = db->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("out of order"), std::string::npos) << s.ToString();
  EXPECT_EQ(scan(), before);  // the failed compaction installed nothing
  db.reset();
  ASSERT_OK(DB::Open(options, "/db", &db));
  EXPECT_EQ(scan(), before);
}

}  // namespace
}  // namespace strata
