// The compaction policy (picker) on synthetic versions, and the compaction iterator's choice
// of what to drop, with and without snapshots.

#include "compaction/compaction.h"
#include "compaction/compaction_iterator.h"
#include "testutil.h"
#include "vector_iterator.h"

namespace strata {
namespace {

class PickerTest : public testing::Test {
 protected:
  PickerTest() {
    options_.level0_file_num_compaction_trigger = 4;
    options_.max_bytes_for_level_base = 10 << 20;
    options_.max_bytes_for_level_multiplier = 10;
    options_.target_file_size_base = 2 << 20;
  }

  void Add(int level, uint64_t number, const std::string& smallest, const std::string& largest,
           uint64_t size, SequenceNumber seq = 100) {
    auto f = std::make_shared<FileMetaData>();
    f->number = number;
    f->file_size = size;
    f->smallest = InternalKey(smallest, seq, kTypeValue);
    f->largest = InternalKey(largest, seq, kTypeValue);
    f->smallest_seqno = f->largest_seqno = seq + number;  // newer files have higher numbers
    files_[level].push_back(f);
  }

  std::shared_ptr<const Version> MakeVersion() {
    auto files = files_;
    std::sort(files[0].begin(), files[0].end(),
              [](const auto& a, const auto& b) { return a->largest_seqno > b->largest_seqno; });
    return std::make_shared<const Version>(&icmp_, nullptr, files);
  }

  static std::string Numbers(const FileList& files) {
    std::vector<uint64_t> n;
    for (const auto& f : files) n.push_back(f->number);
    std::sort(n.begin(), n.end());
    std::string out;
    for (uint64_t x : n) out += std::to_string(x) + " ";
    return out;
  }

  Options options_;
  InternalKeyComparator icmp_{BytewiseComparator()};
  std::array<FileList, kNumLevels> files_;
};

TEST_F(PickerTest, NothingToDo) {
  Add(0, 1, "a", "z", 1000);
  Add(1, 2, "a", "m", 1 << 20);
  auto v = MakeVersion();
  EXPECT_FALSE(NeedsCompaction(options_, *v));
  EXPECT_EQ(nullptr, PickCompaction(options_, v));
}

TEST_F(PickerTest, L0ByFileCountTakesAllL0AndOverlappingL1) {
  Add(0, 10, "c", "f", 1000);
  Add(0, 11, "a", "b", 1000);
  Add(0, 12, "x", "y", 1000);
  Add(0, 13, "d", "e", 1000);
  Add(1, 1, "a", "c", 1000);
  Add(1, 2, "g", "h", 1000);  // inside the L0 range [a, y]
  Add(1, 3, "z", "zz", 1000);  // outside
  auto v = MakeVersion();
  EXPECT_DOUBLE_EQ(1.0, CompactionScores(options_, *v)[0]);
  auto c = PickCompaction(options_, v);
  ASSERT_NE(nullptr, c);
  EXPECT_EQ(0, c->level());
  EXPECT_EQ("10 11 12 13 ", Numbers(c->inputs(0)));
  EXPECT_EQ("1 2 ", Numbers(c->inputs(1)));
  EXPECT_FALSE(c->IsTrivialMove());
}

TEST_F(PickerTest, LevelBySizePicksLeastOverlap) {
  // L1 is over its 10 MiB target; file 2 overlaps nothing below, file 1 overlaps a lot.
  Add(1, 1, "a", "c", 6 << 20);
  Add(1, 2, "d", "f", 6 << 20);
  Add(2, 3, "a", "b", 20 << 20);
  auto v = MakeVersion();
  EXPECT_GT(CompactionScores(options_, *v)[1], 1.0);
  auto c = PickCompaction(options_, v);
  ASSERT_NE(nullptr, c);
  EXPECT_EQ(1, c->level());
  EXPECT_EQ("2 ", Numbers(c->inputs(0)));
  EXPECT_TRUE(c->inputs(1).empty());
  EXPECT_TRUE(c->IsTrivialMove());
}

TEST_F(PickerTest, HighestScoreWins) {
  for (uint64_t i = 0; i < 8; i++) Add(0, 100 + i, "a", "b", 1000);  // score 2
  Add(1, 1, "c", "d", 15 << 20);                                     // score 1.5
  auto c = PickCompaction(options_, MakeVersion());
  ASSERT_NE(nullptr, c);
  EXPECT_EQ(0, c->level());
}

TEST_F(PickerTest, RangeCompactionAndOverlapQueries) {
  Add(1, 1, "a", "c", 1000);
  Add(1, 2, "e", "g", 1000);
  Add(1, 3, "i", "k", 1000);
  Add(2, 4, "f", "j", 1000);
  auto v = MakeVersion();
  const InternalKey begin("f", kMaxSequenceNumber, kValueTypeForSeek);
  const InternalKey end("h", 0, kTypeDeletion);
  auto c = PickRangeCompaction(options_, v, 1, &begin, &end);
  ASSERT_NE(nullptr, c);
  // File 3 joins: it lies inside the range of the L2 input and pulls in no further L2 file.
  EXPECT_EQ("2 3 ", Numbers(c->inputs(0)));
  EXPECT_EQ("4 ", Numbers(c->inputs(1)));
  const std::string_view d = "d", dd = "dd", z = "z";
  EXPECT_FALSE(v->OverlapInLevel(1, &d, &dd));
  EXPECT_TRUE(v->OverlapInLevel(1, &d, &z));
  EXPECT_TRUE(v->OverlapInLevel(1, nullptr, nullptr));
  EXPECT_EQ(nullptr, PickRangeCompaction(options_, v, 3, nullptr, nullptr));
}

TEST_F(PickerTest, L0OverlapIsTransitive) {
  Add(0, 1, "a", "c", 100);
  Add(0, 2, "b", "e", 100);
  Add(0, 3, "d", "f", 100);
  Add(0, 4, "x", "y", 100);
  auto v = MakeVersion();
  const InternalKey begin("a", kMaxSequenceNumber, kValueTypeForSeek);
  const InternalKey end("a", 0, kTypeDeletion);
  EXPECT_EQ("1 2 3 ", Numbers(v->GetOverlappingInputs(0, &begin, &end)));
}

TEST_F(PickerTest, IsBaseLevelForKey) {
  Add(1, 1, "a", "b", 100);
  Add(3, 2, "m", "p", 100);
  auto v = MakeVersion();
  Compaction c(options_, v, 1, v->files(1), {});
  EXPECT_TRUE(c.IsBaseLevelForKey("a"));
  EXPECT_FALSE(c.IsBaseLevelForKey("m"));
  EXPECT_FALSE(c.IsBaseLevelForKey("n"));
  EXPECT_TRUE(c.IsBaseLevelForKey("q"));
}

TEST_F(PickerTest, MemTableOutputGoesDeeperWhenNothingOverlaps) {
  Add(0, 1, "a", "c", 100);
  Add(2, 2, "x", "z", 100);
  auto v = MakeVersion();
  EXPECT_EQ(0, v->PickLevelForMemTableOutput("b", "d", 1 << 20));  // overlaps L0
  EXPECT_EQ(1, v->PickLevelForMemTableOutput("w", "y", 1 << 20));  // overlaps L2
  EXPECT_EQ(2, v->PickLevelForMemTableOutput("m", "n", 1 << 20));
}

// ---- Compaction iterator -----------------------------------------------------------------------

std::string IKey(const std::string& user_key, SequenceNumber seq, ValueType type) {
  std::string k;
  AppendInternalKey(&k, ParsedInternalKey(user_key, seq, type));
  return k;
}

// Runs the compaction iterator over entries (given newest first per key) and renders what it
// keeps as "key@seq:v|d ...".
std::string Survivors(const std::vector<std::tuple<std::string, SequenceNumber, ValueType>>& in,
                      const std::vector<SequenceNumber>& snapshots, Compaction* c) {
  static const InternalKeyComparator icmp(BytewiseComparator());
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [k, seq, type] : in) entries.emplace_back(IKey(k, seq, type), "x");
  test::VectorIterator input(&icmp, entries);
  CompactionIterator it(&input, BytewiseComparator(), &snapshots, c);
  std::string out;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const ParsedInternalKey& p = it.parsed_key();
    out += std::string(p.user_key) + "@" + std::to_string(p.sequence) +
           (p.type == kTypeValue ? ":v " : ":d ");
  }
  if (!it.status().ok()) out += "ERROR";
  return out;
}

TEST(CompactionIteratorTest, KeepsNewestPerStripe) {
  const std::vector<std::tuple<std::string, SequenceNumber, ValueType>> in = {
      {"a", 9, kTypeValue}, {"a", 7, kTypeValue}, {"a", 5, kTypeDeletion},
      {"a", 3, kTypeValue}, {"a", 1, kTypeValue}, {"b", 4, kTypeValue}};
  EXPECT_EQ("a@9:v b@4:v ", Survivors(in, {}, nullptr));
  // Snapshots at 2 and 6: stripes (0,2] (2,6] (6,inf).
  EXPECT_EQ("a@9:v a@5:d a@1:v b@4:v ", Survivors(in, {2, 6}, nullptr));
  EXPECT_EQ("a@9:v a@7:v a@5:d a@3:v a@1:v b@4:v ", Survivors(in, {1, 3, 5, 7}, nullptr));
}

TEST(CompactionIteratorTest, DropsTombstonesOnlyAtTheBaseWithoutSnapshots) {
  Options options;
  InternalKeyComparator icmp(BytewiseComparator());
  std::array<FileList, kNumLevels> files;
  auto deep = std::make_shared<FileMetaData>();
  deep->number = 1;
  deep->smallest = InternalKey("m", 1, kTypeValue);
  deep->largest = InternalKey("n", 1, kTypeValue);
  files[3].push_back(deep);
  auto v = std::make_shared<const Version>(&icmp, nullptr, files);
  Compaction c(options, v, 1, {}, {});
  const std::vector<std::tuple<std::string, SequenceNumber, ValueType>> in = {
      {"a", 8, kTypeDeletion}, {"a", 2, kTypeValue}, {"m", 9, kTypeDeletion}};
  // "a" exists in no deeper level: its tombstone and the value it hides go. "m" may exist in L3.
  EXPECT_EQ("m@9:d ", Survivors(in, {}, &c));
  Compaction c2(options, v, 1, {}, {});
  // A snapshot at 5 still sees a@2, so the tombstone must stay to hide it from newer readers.
  EXPECT_EQ("a@8:d a@2:v m@9:d ", Survivors(in, {5}, &c2));
  // Without a compaction (a flush) tombstones always stay.
  EXPECT_EQ("a@8:d m@9:d ", Survivors(in, {}, nullptr));
}

TEST(CompactionIteratorTest, MalformedKeyIsCorruption) {
  static const InternalKeyComparator icmp(BytewiseComparator());
  test::VectorIterator input(BytewiseComparator(), {{"short", "x"}});
  const std::vector<SequenceNumber> none;
  CompactionIterator it(&input, BytewiseComparator(), &none, nullptr);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
}

}  // namespace
}  // namespace strata
