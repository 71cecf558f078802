#include "iter/merging_iterator.h"

#include <map>

#include "testutil.h"
#include "vector_iterator.h"

namespace strata {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

std::unique_ptr<InternalIterator> Merge(const std::vector<Entries>& children) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  for (const auto& e : children) {
    iters.push_back(std::make_unique<test::VectorIterator>(BytewiseComparator(), e));
  }
  return NewMergingIterator(BytewiseComparator(), std::move(iters));
}

std::string Forward(InternalIterator* it) {
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) out += std::string(it->key()) + " ";
  return out;
}

std::string Backward(InternalIterator* it) {
  std::string out;
  for (it->SeekToLast(); it->Valid(); it->Prev()) out += std::string(it->key()) + " ";
  return out;
}

TEST(MergingIteratorTest, EmptyAndSingle) {
  EXPECT_EQ("", Forward(Merge({}).get()));
  EXPECT_EQ("a b ", Forward(Merge({{{"a", "1"}, {"b", "2"}}}).get()));
  EXPECT_EQ("", Forward(Merge({{}, {}}).get()));
}

TEST(MergingIteratorTest, InterleavesInOrder) {
  auto it = Merge({{{"a", ""}, {"d", ""}, {"g", ""}}, {{"b", ""}, {"e", ""}}, {{"c", ""}, {"f", ""}}});
  EXPECT_EQ("a b c d e f g ", Forward(it.get()));
  EXPECT_EQ("g f e d c b a ", Backward(it.get()));
  it->Seek("c1");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("d", it->key());
}

TEST(MergingIteratorTest, DirectionChangesMatchAModel) {
  Random rnd(test::TestSeed());
  for (int trial = 0; trial < 200; trial++) {
    std::vector<Entries> children(1 + rnd.Uniform(4));
    std::map<std::string, int> all;  // distinct keys across children
    for (auto& child : children) {
      std::map<std::string, std::string> sorted;
      for (uint64_t n = rnd.Uniform(10); n > 0; n--) {
        const std::string k = test::NumberKey(rnd.Uniform(100), 3);
        if (all.count(k) == 0) {
          sorted[k] = "v";
          all[k] = 1;
        }
      }
      child.assign(sorted.begin(), sorted.end());
    }
    auto it = Merge(children);
    std::vector<std::string> keys;
    for (const auto& [k, v] : all) keys.push_back(k);
    // Random walk with direction changes, checked against the sorted key list.
    it->SeekToFirst();
    size_t pos = 0;
    for (int step = 0; step < 50; step++) {
      if (pos >= keys.size()) {
        ASSERT_FALSE(it->Valid());
        it->Seek(keys.empty() ? "" : keys[0]);
        pos = 0;
        continue;
      }
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(keys[pos], it->key());
      if (rnd.OneIn(2)) {
        it->Next();
        pos++;
      } else {
        it->Prev();
        pos = pos == 0 ? keys.size() : pos - 1;
      }
    }
  }
}

TEST(MergingIteratorTest, ChildErrorStopsIteration) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  auto failing = std::make_unique<test::VectorIterator>(
      BytewiseComparator(), Entries{{"a", ""}, {"c", ""}, {"e", ""}});
  failing->FailAt(2, Status::Corruption("boom"));
  iters.push_back(std::move(failing));
  iters.push_back(std::make_unique<test::VectorIterator>(BytewiseComparator(),
                                                         Entries{{"b", ""}, {"d", ""}}));
  auto it = NewMergingIterator(BytewiseComparator(), std::move(iters));
  it->SeekToFirst();
  std::string seen;
  for (; it->Valid(); it->Next()) seen += std::string(it->key());
  EXPECT_EQ("abc", seen);  // the failing child errs moving past "c"
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

}  // namespace
}  // namespace strata
