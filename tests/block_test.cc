#include "sst/block.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sst/block_builder.h"
#include "sst_test_util.h"
#include "testutil.h"
#include "util/coding.h"

namespace strata {
namespace {

using test::ExactContents;
using test::KVVector;

// Builds a block from sorted unique keys (bytewise) with values derived from rnd.
std::string BuildBlock(const std::vector<std::string>& keys, int restart_interval, Random* rnd,
                       KVVector* model) {
  BlockBuilder builder(restart_interval);
  model->clear();
  for (const std::string& k : keys) {
    const size_t len = rnd->OneIn(4) ? 0 : rnd->Skewed(8);
    model->emplace_back(k, test::RandomBytes(rnd, len));
    builder.Add(k, model->back().second);
  }
  return std::string(builder.Finish());
}

std::string RandomTarget(const KVVector& model, Random* rnd) {
  if (model.empty() || rnd->OneIn(5)) return test::RandomBytes(rnd, rnd->Skewed(4));
  std::string t = model[rnd->Uniform(model.size())].first;
  switch (rnd->Uniform(4)) {
    case 0:
      t.push_back('\0');  // the smallest key after an existing one
      break;
    case 1:
      if (!t.empty()) t.pop_back();
      break;
    case 2:
      if (!t.empty()) t.back() = static_cast<char>(static_cast<uint8_t>(t.back()) + 1);
      break;
    default:
      break;  // exact
  }
  return t;
}

struct KeyShape {
  const char* name;
  std::vector<std::string> (*make)(Random*);
};

std::vector<std::string> Sorted(std::set<std::string> s) { return {s.begin(), s.end()}; }

const KeyShape kShapes[] = {
    {"single", [](Random*) { return std::vector<std::string>{"only"}; }},
    {"empty_key_first",
     [](Random*) {
       return std::vector<std::string>{"", "a", "ab", "b", std::string(1, '\xff')};
     }},
    {"only_empty_key", [](Random*) { return std::vector<std::string>{""}; }},
    {"shared_prefixes",
     [](Random* rnd) {
       std::set<std::string> s;
       for (int i = 0; i < 500; i++) {
         s.insert("user/" + std::to_string(rnd->Uniform(40)) + "/item/" +
                  test::NumberKey(rnd->Uniform(100000), 8));
       }
       return Sorted(std::move(s));
     }},
    {"binary",
     [](Random* rnd) {
       std::set<std::string> s;
       for (int i = 0; i < 400; i++) s.insert(test::RandomBytes(rnd, rnd->Skewed(5)));
       s.insert(std::string(3, '\0'));
       s.insert(std::string(3, '\xff'));
       return Sorted(std::move(s));
     }},
    {"long_keys",
     [](Random* rnd) {
       std::set<std::string> s;
       const std::string prefix = test::RandomString(rnd, 300);
       for (int i = 0; i < 60; i++) {
         s.insert(prefix + test::RandomString(rnd, rnd->Uniform(2000)));
         s.insert(test::RandomString(rnd, 1000 + rnd->Uniform(3000)));
       }
       return Sorted(std::move(s));
     }},
    {"numbered",
     [](Random*) {
       std::vector<std::string> v;
       for (int i = 0; i < 3000; i++) v.push_back(test::NumberKey(i));
       return v;
     }},
};

class BlockRoundTrip : public ::testing::TestWithParam<std::tuple<int, size_t>> {};

TEST_P(BlockRoundTrip, MatchesModel) {
  const int restart_interval = std::get<0>(GetParam());
  const KeyShape& shape = kShapes[std::get<1>(GetParam())];
  Random rnd(test::TestSeed() + restart_interval);
  SCOPED_TRACE(std::string("shape ") + shape.name + ", seed " + std::to_string(test::TestSeed()));
  KVVector model;
  const std::string contents = BuildBlock(shape.make(&rnd), restart_interval, &rnd, &model);
  Block block(ExactContents(contents));
  ASSERT_OK(block.status());
  BlockIter it(BytewiseComparator(), &block);
  test::CheckIteratorAgainstModel(
      &it, model, BytewiseComparator(), [&](Random* r) { return RandomTarget(model, r); }, &rnd,
      3000);
  // Seeking past the last key finds nothing.
  if (!model.empty()) {
    it.Seek(model.back().first + std::string(1, '\0'));
    EXPECT_FALSE(it.Valid());
    EXPECT_OK(it.status());
  }
}

INSTANTIATE_TEST_SUITE_P(IntervalsAndShapes, BlockRoundTrip,
                         ::testing::Combine(::testing::Values(1, 2, 16, 1000),
                                            ::testing::Range<size_t>(0, std::size(kShapes))),
                         [](const auto& info) {
                           return kShapes[std::get<1>(info.param)].name + std::string("_r") +
                                  std::to_string(std::get<0>(info.param));
                         });

TEST(BlockTest, EmptyBlock) {
  BlockBuilder builder(16);
  EXPECT_TRUE(builder.empty());
  const std::string contents(builder.Finish());
  EXPECT_EQ(8u, contents.size());  // one restart at 0, count 1
  Block block(ExactContents(contents));
  ASSERT_OK(block.status());
  BlockIter it(BytewiseComparator(), &block);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek("x");
  EXPECT_FALSE(it.Valid());
  EXPECT_OK(it.status());
}

TEST(BlockTest, EncodingOfSharedPrefixesAndRestarts) {
  BlockBuilder builder(2);
  builder.Add("apple", "1");
  builder.Add("apply", "22");
  builder.Add("banana", "");
  EXPECT_EQ(builder.last_key(), "banana");
  const std::string contents(builder.Finish());
  const std::string expected = std::string(
                                   "\x00\x05\x01"
                                   "apple"
                                   "1",
                                   9) +  // restart 0
                               std::string(
                                   "\x04\x01\x02"
                                   "y"
                                   "22",
                                   6) +  // shares "appl"
                               std::string(
                                   "\x00\x06\x00"
                                   "banana",
                                   9) +  // restart 1 at offset 15
                               std::string(
                                   "\x00\x00\x00\x00"
                                   "\x0f\x00\x00\x00"
                                   "\x02\x00\x00\x00",
                                   12);
  EXPECT_EQ(expected, contents);
}

TEST(BlockTest, ResetReusesBuilder) {
  BlockBuilder builder(16);
  builder.Add("k1", "v1");
  const std::string first(builder.Finish());
  builder.Reset();
  builder.Add("k1", "v1");
  EXPECT_EQ(first, std::string(builder.Finish()));
}

// A comparator ordering keys in reverse: the block must honour the comparator it is given.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(BlockTest, CustomComparator) {
  ReverseComparator reverse;
  Random rnd(test::TestSeed());
  std::vector<std::string> keys;
  for (int i = 0; i < 200; i++) keys.push_back(test::NumberKey(i, 4));
  std::reverse(keys.begin(), keys.end());
  KVVector model;
  const std::string contents = BuildBlock(keys, 4, &rnd, &model);
  Block block(ExactContents(contents));
  BlockIter it(&reverse, &block);
  test::CheckIteratorAgainstModel(
      &it, model, &reverse, [&](Random* r) { return test::NumberKey(r->Uniform(210), 4); }, &rnd,
      1000);
}

TEST(BlockTest, OwningIteratorKeepsBlockAlive) {
  BlockBuilder builder(16);
  builder.Add("a", "1");
  builder.Add("b", "2");
  auto block = std::make_shared<const Block>(ExactContents(builder.Finish()));
  auto it = NewBlockIterator(block, BytewiseComparator());
  block.reset();
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("b", it->key());
  EXPECT_EQ("2", it->value());
}

TEST(BlockTest, IteratorCanBeRetargeted) {
  BlockBuilder b1(16), b2(16);
  b1.Add("a", "1");
  b2.Add("z", "26");
  Block block1(ExactContents(b1.Finish()));
  Block block2(ExactContents(b2.Finish()));
  BlockIter it(BytewiseComparator(), &block1);
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  it.Init(BytewiseComparator(), &block2);
  EXPECT_FALSE(it.Valid());
  it.Seek("b");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ("z", it.key());
}

// ---- Corruption ------------------------------------------------------------------------------

// Drives every operation over a (possibly damaged) block. Returns the entries seen by a forward
// scan; fails the test if any walk does not terminate within the block's capacity for entries.
KVVector ExerciseDamagedBlock(const Block& block, const std::vector<std::string>& targets,
                              bool* saw_error) {
  const size_t max_entries = block.contents().size() / 3 + 1;  // an entry takes >= 3 bytes
  BlockIter it(BytewiseComparator(), &block);
  KVVector seen;
  size_t steps = 0;
  for (it.SeekToFirst(); it.Valid() && steps <= max_entries; it.Next(), steps++) {
    seen.emplace_back(std::string(it.key()), std::string(it.value()));
  }
  EXPECT_LE(steps, max_entries) << "forward scan does not terminate";
  *saw_error = !it.status().ok();
  steps = 0;
  for (it.SeekToLast(); it.Valid() && steps <= max_entries; it.Prev(), steps++) {
  }
  EXPECT_LE(steps, max_entries) << "backward scan does not terminate";
  for (const std::string& t : targets) {
    it.Seek(t);
    if (it.Valid()) it.Prev();
    if (it.Valid()) it.Next();
  }
  *saw_error = *saw_error || !it.status().ok();
  return seen;
}

class BlockCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Random rnd(test::TestSeed());
    std::set<std::string> keys;
    for (int i = 0; i < 40; i++) keys.insert("key" + test::RandomString(&rnd, rnd.Uniform(12)));
    keys_.assign(keys.begin(), keys.end());
    contents_ = BuildBlock(keys_, 4, &rnd, &model_);
    targets_ = keys_;
    targets_.push_back("");
    targets_.push_back("zzz");
  }

  bool IsReal(const std::pair<std::string, std::string>& kv) const {
    return std::find(model_.begin(), model_.end(), kv) != model_.end();
  }

  std::vector<std::string> keys_;
  std::vector<std::string> targets_;
  KVVector model_;
  std::string contents_;
};

TEST_F(BlockCorruptionTest, TruncationGivesCorruptionOrRealEntries) {
  int errors = 0;
  for (size_t len = 0; len < contents_.size(); len++) {
    Block block(ExactContents(std::string_view(contents_).substr(0, len)));
    bool saw_error = false;
    const KVVector seen = ExerciseDamagedBlock(block, targets_, &saw_error);
    if (saw_error) {
      errors++;
      continue;
    }
    for (const auto& kv : seen) EXPECT_TRUE(IsReal(kv)) << "truncated to " << len;
  }
  // The restart array moves with the end of the block: nearly every cut is caught.
  EXPECT_GT(errors, static_cast<int>(contents_.size() * 9 / 10));
}

TEST_F(BlockCorruptionTest, EveryByteFlipIsSafe) {
  int errors = 0;
  int trials = 0;
  for (size_t pos = 0; pos < contents_.size(); pos++) {
    for (const uint8_t mask : {0x01, 0x10, 0x80, 0xff}) {
      std::string damaged = contents_;
      damaged[pos] = static_cast<char>(static_cast<uint8_t>(damaged[pos]) ^ mask);
      Block block(ExactContents(damaged));
      bool saw_error = false;
      ExerciseDamagedBlock(block, targets_, &saw_error);
      trials++;
      errors += saw_error ? 1 : 0;
      if (pos >= contents_.size() - 4 && mask >= 0x10) {
        EXPECT_TRUE(saw_error) << "restart count damage not detected at " << pos;
      }
    }
  }
  // Flips of key and value bytes are invisible without the table's checksum; flips of lengths
  // and of the restart array mostly are not.
  EXPECT_GT(errors, 0);
  EXPECT_LT(errors, trials);
}

TEST_F(BlockCorruptionTest, StatusIsSticky) {
  std::string damaged = contents_;
  damaged[0] = '\x05';  // the first entry claims to share bytes with a previous key
  Block block(ExactContents(damaged));
  ASSERT_OK(block.status());
  BlockIter it(BytewiseComparator(), &block);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption()) << it.status().ToString();
  it.Seek(keys_.back());
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
}

std::string Fixed32(uint32_t v) {
  std::string s;
  PutFixed32(&s, v);
  return s;
}

Status ScanStatus(std::string_view contents) {
  Block block(ExactContents(contents));
  if (!block.status().ok()) return block.status();
  BlockIter it(BytewiseComparator(), &block);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
  }
  if (!it.status().ok()) return it.status();
  for (it.SeekToLast(); it.Valid(); it.Prev()) {
  }
  if (!it.status().ok()) return it.status();
  it.Seek("m");
  return it.status();
}

TEST(BlockMalformedTest, HandCraftedDamage) {
  const std::string one_entry = std::string(
      "\x00\x01\x01"
      "a"
      "v",
      5);
  const std::string trailer = Fixed32(0) + Fixed32(1);
  ASSERT_OK(ScanStatus(one_entry + trailer));

  struct Case {
    const char* what;
    std::string contents;
  };
  const Case cases[] = {
      {"too short", std::string("\x01\x00", 2)},
      {"restart count too large", one_entry + Fixed32(0) + Fixed32(1000)},
      {"restart count max", one_entry + Fixed32(0) + Fixed32(0xffffffff)},
      {"first restart not 0", one_entry + Fixed32(1) + Fixed32(1)},
      {"restart past entries", one_entry + Fixed32(0) + Fixed32(5) + Fixed32(2)},
      {"restarts not increasing",
       one_entry + one_entry.substr(0, 0) + Fixed32(0) + Fixed32(0) + Fixed32(2)},
      {"entries without restarts", one_entry + Fixed32(0)},
      {"key runs past the end", std::string("\x00\x09\x01"
                                            "a"
                                            "v",
                                            5) +
                                    trailer},
      {"value runs past the end", std::string("\x00\x01\x09"
                                              "a"
                                              "v",
                                              5) +
                                      trailer},
      {"huge value length", std::string("\x00\x01\xff\xff\xff\xff\x0f"
                                        "a"
                                        "v",
                                        9) +
                                trailer},
      {"shared at a restart", std::string("\x01\x01\x01"
                                          "a"
                                          "v",
                                          5) +
                                  trailer},
      {"shared beyond previous key", std::string("\x00\x01\x01"
                                                 "a"
                                                 "v"
                                                 "\x05\x01\x01"
                                                 "b"
                                                 "w",
                                                 10) +
                                         trailer},
      {"overlong varint", std::string("\x80\x80\x80\x80\x80\x01\x01"
                                      "a"
                                      "v",
                                      9) +
                              trailer},
      {"header cut by the restart array", std::string("\x00\x01", 2) + trailer},
  };
  for (const Case& c : cases) {
    const Status s = ScanStatus(c.contents);
    EXPECT_TRUE(s.IsCorruption()) << c.what << ": " << s.ToString();
  }
}

TEST(BlockMalformedTest, InternalKeysShorterThanATagAreCorrupt) {
  const InternalKeyComparator icmp(BytewiseComparator());
  BlockBuilder builder(2);
  builder.Add(test::IKey("a", 1, kTypeValue), "a");
  builder.Add(test::IKey("b", 1, kTypeValue), "b");
  builder.Add("1234", "c");   // too short for an internal key; placed at a restart point
  builder.Add("12345", "d");  // shares a prefix, still too short
  Block block(ExactContents(builder.Finish()));
  BlockIter it(&icmp, &block);
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  it.Next();
  ASSERT_TRUE(it.Valid());
  it.Next();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
  // Seek's binary search decodes restart keys: it must check them too.
  BlockIter seeker(&icmp, &block);
  seeker.Seek(test::IKey("z", 1, kTypeValue));
  EXPECT_FALSE(seeker.Valid());
  EXPECT_TRUE(seeker.status().IsCorruption());
  // As opaque keys the same block is fine.
  BlockIter plain(BytewiseComparator(), &block);
  int n = 0;
  for (plain.SeekToFirst(); plain.Valid(); plain.Next()) n++;
  EXPECT_OK(plain.status());
  EXPECT_EQ(4, n);
}

TEST(BlockMalformedTest, ErrorNamesFileAndOffsets) {
  auto name = std::make_shared<const std::string>("000042.sst");
  const std::string bad = std::string(
                              "\x00\x09\x01"
                              "a"
                              "v",
                              5) +
                          Fixed32(0) + Fixed32(1);
  Block block(ExactContents(bad), name, 8192);
  BlockIter it(BytewiseComparator(), &block);
  it.SeekToFirst();
  EXPECT_EQ("Corruption: 000042.sst: corrupt block entry at offset 0 of the block at offset 8192",
            it.status().ToString());
  Block malformed(ExactContents("ab"), name, 4096);
  EXPECT_EQ(
      "Corruption: 000042.sst: malformed block at offset 4096: block too short or too long (2 "
      "bytes)",
      malformed.status().ToString());
}

}  // namespace
}  // namespace strata
