#include "sst/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/filename.h"
#include "sst/block.h"
#include "sst/block_builder.h"
#include "sst/compression.h"
#include "sst/format.h"
#include "sst/properties.h"
#include "sst/table_builder.h"
#include "sst/table_cache.h"
#include "sst_test_util.h"
#include "testutil.h"
#include "util/cache.h"
#include "util/coding.h"

namespace strata {
namespace {

using test::IKey;
using test::KVVector;

const InternalKeyComparator kIcmp(BytewiseComparator());

// ---- Data model -----------------------------------------------------------------------------

// Sorted, unique internal-key entries plus the queries a model answers.
struct Model {
  KVVector entries;  // sorted by kIcmp

  // The answer Table::Get must give for user_key at snapshot seq.
  Table::GetState Expect(std::string_view user_key, SequenceNumber seq, std::string* value) const {
    const std::string target = IKey(user_key, seq, kValueTypeForSeek);
    auto it = std::lower_bound(
        entries.begin(), entries.end(), target,
        [](const auto& e, const std::string& t) { return kIcmp.Compare(e.first, t) < 0; });
    if (it == entries.end() || ExtractUserKey(it->first) != user_key) {
      return Table::GetState::kNotPresent;
    }
    if ((ExtractTag(it->first) & 0xff) == kTypeDeletion) return Table::GetState::kDeleted;
    *value = it->second;
    return Table::GetState::kFound;
  }
};

std::string RandomUserKey(Random* rnd) {
  switch (rnd->Uniform(4)) {
    case 0:
      return test::RandomBytes(rnd, rnd->Skewed(5));  // binary, often tiny or empty
    case 1:
      return "common/prefix/" + test::NumberKey(rnd->Uniform(100000), 6);
    case 2:
      return test::RandomString(rnd, 1 + rnd->Uniform(200));
    default:
      return test::NumberKey(rnd->Uniform(1000), 4);
  }
}

std::string RandomValue(Random* rnd) {
  switch (rnd->Uniform(5)) {
    case 0:
      return "";
    case 1:
      return test::RandomBytes(rnd, rnd->Skewed(12));
    default:
      return test::CompressibleString(rnd, 0.25, rnd->Skewed(10));
  }
}

Model RandomModel(Random* rnd, size_t num_user_keys) {
  std::map<std::string, std::string, decltype([](const std::string& a, const std::string& b) {
             return kIcmp.Compare(a, b) < 0;
           })>
      sorted;
  for (size_t i = 0; i < num_user_keys; i++) {
    const std::string user_key = RandomUserKey(rnd);
    const int versions = rnd->OneIn(4) ? 1 + static_cast<int>(rnd->Uniform(5)) : 1;
    for (int v = 0; v < versions; v++) {
      const SequenceNumber seq = 1 + rnd->Uniform(1000);
      const ValueType type = rnd->OneIn(5) ? kTypeDeletion : kTypeValue;
      sorted[IKey(user_key, seq, type)] = type == kTypeValue ? RandomValue(rnd) : "";
    }
  }
  Model m;
  m.entries.assign(sorted.begin(), sorted.end());
  // One user key may carry two types at one sequence number in the map; a real table never
  // does, so keep only the first of each (user key, sequence).
  KVVector unique;
  for (auto& e : m.entries) {
    if (!unique.empty() && ExtractUserKey(unique.back().first) == ExtractUserKey(e.first) &&
        (ExtractTag(unique.back().first) >> 8) == (ExtractTag(e.first) >> 8)) {
      continue;
    }
    unique.push_back(std::move(e));
  }
  m.entries = std::move(unique);
  return m;
}

std::string RandomInternalTarget(const Model& m, Random* rnd) {
  std::string user_key;
  if (m.entries.empty() || rnd->OneIn(4)) {
    user_key = RandomUserKey(rnd);
  } else {
    user_key = std::string(ExtractUserKey(m.entries[rnd->Uniform(m.entries.size())].first));
    if (rnd->OneIn(3)) user_key.push_back('\0');
  }
  return IKey(user_key, rnd->Uniform(1100), rnd->OneIn(2) ? kTypeValue : kTypeDeletion);
}

// ---- Constructors: one harness over blocks and tables ----------------------------------------

struct HarnessConfig {
  std::string name;
  bool table;  // false: a single block
  int restart_interval;
  size_t block_size;
  bool block_cache;
  CompressionType compression;
  bool copy_to_scratch;
};

std::string BuildTable(const TableOptions& options, const KVVector& entries,
                       TableProperties* expected = nullptr) {
  test::StringSink sink;
  TableBuilder builder(options, &sink);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  EXPECT_OK(builder.Finish());
  EXPECT_EQ(entries.size(), builder.NumEntries());
  EXPECT_EQ(sink.contents().size(), builder.FileSize());
  if (expected != nullptr) {
    *expected = TableProperties();
    expected->smallest_seqno = entries.empty() ? 0 : kMaxSequenceNumber;
    for (const auto& [k, v] : entries) {
      const uint64_t tag = ExtractTag(k);
      expected->num_entries++;
      expected->num_deletions += (tag & 0xff) == kTypeDeletion;
      expected->raw_key_bytes += k.size();
      expected->raw_value_bytes += v.size();
      expected->smallest_seqno = std::min(expected->smallest_seqno, tag >> 8);
      expected->largest_seqno = std::max(expected->largest_seqno, tag >> 8);
    }
  }
  return sink.contents();
}

std::shared_ptr<Table> OpenTable(const TableOptions& options, const std::string& contents,
                                 bool copy_to_scratch = true,
                                 const test::StringSource** source = nullptr) {
  auto file = std::make_unique<test::StringSource>(contents, copy_to_scratch);
  if (source != nullptr) *source = file.get();
  std::shared_ptr<Table> table;
  const Status s = Table::Open(options, std::move(file), contents.size(), "t.sst", &table);
  EXPECT_OK(s);
  return table;
}

class Harness : public ::testing::TestWithParam<HarnessConfig> {
 protected:
  TableOptions Options() const {
    TableOptions o;
    o.comparator = &kIcmp;
    o.block_size = GetParam().block_size;
    o.block_restart_interval = GetParam().restart_interval;
    o.compression = GetParam().compression;
    if (GetParam().block_cache) o.block_cache = NewLRUCache(size_t{1} << 20);
    return o;
  }

  void Check(const Model& m, Random* rnd) {
    const HarnessConfig& c = GetParam();
    if (!c.table) {
      BlockBuilder builder(c.restart_interval);
      for (const auto& [k, v] : m.entries) builder.Add(k, v);
      Block block(test::ExactContents(builder.Finish()));
      BlockIter it(&kIcmp, &block);
      test::CheckIteratorAgainstModel(
          &it, m.entries, &kIcmp, [&](Random* r) { return RandomInternalTarget(m, r); }, rnd, 1000);
      return;
    }
    const TableOptions options = Options();
    TableProperties expected;
    const std::string contents = BuildTable(options, m.entries, &expected);
    std::shared_ptr<Table> table = OpenTable(options, contents, c.copy_to_scratch);
    ASSERT_NE(nullptr, table);
    for (const bool fill_cache : {true, false}) {
      ReadOptions ro;
      ro.fill_cache = fill_cache;
      auto it = table->NewIterator(ro);
      test::CheckIteratorAgainstModel(
          it.get(), m.entries, &kIcmp, [&](Random* r) { return RandomInternalTarget(m, r); }, rnd,
          1000);
    }
    ASSERT_NO_FATAL_FAILURE(CheckGets(*table, m, rnd));
    ASSERT_NO_FATAL_FAILURE(CheckProperties(*table, expected, contents.size()));
    ASSERT_NO_FATAL_FAILURE(CheckApproximateOffsets(*table, m, contents.size()));
    EXPECT_OK(table->VerifyChecksums());
  }

  static void CheckGets(const Table& table, const Model& m, Random* rnd) {
    std::vector<std::string> user_keys;
    for (const auto& e : m.entries) user_keys.emplace_back(ExtractUserKey(e.first));
    for (int i = 0; i < 200; i++) user_keys.push_back(RandomUserKey(rnd));
    for (const std::string& uk : user_keys) {
      for (const SequenceNumber seq : {kMaxSequenceNumber, SequenceNumber{rnd->Uniform(1100)}}) {
        std::string expected_value;
        const Table::GetState expected = m.Expect(uk, seq, &expected_value);
        Table::GetState state;
        std::string value = "garbage";
        LookupKey lk(uk, seq);
        ASSERT_OK(table.Get(ReadOptions(), lk, &state, &value));
        ASSERT_EQ(expected, state) << "seq " << seq;
        if (expected == Table::GetState::kFound) {
          ASSERT_EQ(expected_value, value);
        }
      }
    }
  }

  static void CheckProperties(const Table& table, const TableProperties& e, uint64_t size) {
    const TableProperties& p = table.properties();
    EXPECT_EQ(e.num_entries, p.num_entries);
    EXPECT_EQ(e.num_deletions, p.num_deletions);
    EXPECT_EQ(e.raw_key_bytes, p.raw_key_bytes);
    EXPECT_EQ(e.raw_value_bytes, p.raw_value_bytes);
    EXPECT_EQ(e.smallest_seqno, p.smallest_seqno);
    EXPECT_EQ(e.largest_seqno, p.largest_seqno);
    EXPECT_EQ(p.num_entries == 0, p.num_data_blocks == 0);
    EXPECT_LT(p.data_bytes + p.index_bytes + p.filter_bytes, size);
    EXPECT_EQ(p.num_entries == 0, p.filter_bytes == 0);
  }

  static void CheckApproximateOffsets(const Table& table, const Model& m, uint64_t size) {
    uint64_t prev = 0;
    for (const auto& e : m.entries) {
      const uint64_t off = table.ApproximateOffsetOf(e.first);
      EXPECT_GE(off, prev);
      EXPECT_LT(off, std::max<uint64_t>(table.properties().data_bytes, 1));
      prev = off;
    }
    EXPECT_EQ(
        table.properties().data_bytes,
        table.ApproximateOffsetOf(IKey("\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, kTypeDeletion)));
    EXPECT_LT(table.properties().data_bytes, size);
  }
};

TEST_P(Harness, RandomModels) {
  Random rnd(test::TestSeed());
  std::printf("seed %llu\n", static_cast<unsigned long long>(test::TestSeed()));
  const int rounds = static_cast<int>(3 * test::TestScale());
  for (const size_t n : {0, 1, 2, 10, 100, 1000}) {
    for (int round = 0; round < (n >= 1000 ? 1 : rounds); round++) {
      SCOPED_TRACE("user keys " + std::to_string(n) + ", round " + std::to_string(round));
      const Model m = RandomModel(&rnd, n);
      ASSERT_NO_FATAL_FAILURE(Check(m, &rnd));
    }
  }
}

std::vector<HarnessConfig> HarnessConfigs() {
  std::vector<HarnessConfig> v;
  for (const int restart : {1, 16, 1000}) {
    v.push_back({"block_r" + std::to_string(restart), false, restart, 0, false,
                 CompressionType::kNone, true});
  }
  for (const int restart : {1, 3, 16}) {
    for (const size_t block_size : {64, 512, 4096}) {
      for (const bool cache : {false, true}) {
        v.push_back({"table_r" + std::to_string(restart) + "_b" + std::to_string(block_size) +
                         (cache ? "_cache" : ""),
                     true, restart, block_size, cache, CompressionType::kNone, restart != 3});
      }
    }
  }
  for (const CompressionType c : {CompressionType::kSnappy, CompressionType::kZstd}) {
    if (!CompressionTypeSupported(c)) continue;
    const std::string name = c == CompressionType::kSnappy ? "snappy" : "zstd";
    v.push_back({"table_" + name, true, 16, 512, false, c, true});
    v.push_back({"table_" + name + "_cache", true, 16, 1024, true, c, false});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Configs, Harness, ::testing::ValuesIn(HarnessConfigs()),
                         [](const auto& info) { return info.param.name; });

// ---- Table specifics --------------------------------------------------------------------------

// The handle of the first data block, found through the footer and the index block.
BlockHandle FirstDataBlock(std::string_view contents) {
  const uint64_t footer_offset = contents.size() - Footer::kEncodedLength;
  Footer footer;
  EXPECT_OK(footer.DecodeFrom(contents.substr(footer_offset), footer_offset));
  Block index(test::ExactContents(
      contents.substr(footer.index_handle.offset(), footer.index_handle.size())));
  BlockIter it(&kIcmp, &index);
  it.SeekToFirst();
  EXPECT_TRUE(it.Valid());
  std::string_view v = it.value();
  BlockHandle h;
  EXPECT_TRUE(h.DecodeFrom(&v));
  return h;
}

TableOptions SmallBlockOptions() {
  TableOptions o;
  o.comparator = &kIcmp;
  o.block_size = 128;
  return o;
}

KVVector NumberedEntries(int n, size_t value_size = 20) {
  KVVector v;
  for (int i = 0; i < n; i++) {
    v.emplace_back(IKey(test::NumberKey(i), 100 + i, kTypeValue),
                   std::string(value_size, static_cast<char>('a' + i % 26)));
  }
  return v;
}

TEST(TableTest, EmptyTable) {
  const TableOptions options = SmallBlockOptions();
  const std::string contents = BuildTable(options, {});
  std::shared_ptr<Table> table = OpenTable(options, contents);
  ASSERT_NE(nullptr, table);
  auto it = table->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_OK(it->status());
  Table::GetState state;
  std::string value;
  ASSERT_OK(table->Get(ReadOptions(), LookupKey("x", 1), &state, &value));
  EXPECT_EQ(Table::GetState::kNotPresent, state);
  EXPECT_EQ(0u, table->properties().num_entries);
  EXPECT_EQ(0u, table->properties().num_data_blocks);
  EXPECT_EQ(0u, table->ApproximateOffsetOf(IKey("x", 1, kTypeValue)));
  EXPECT_OK(table->VerifyChecksums());
}

// User keys in reverse bytewise order: exercises the comparator-generic paths (separators,
// block seeks) that the bytewise fast path skips.
class ReverseBytewise final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.ReverseBytewise"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(TableTest, CustomUserComparator) {
  static const ReverseBytewise reverse;
  const InternalKeyComparator icmp(&reverse);
  TableOptions options;
  options.comparator = &icmp;
  options.block_size = 200;
  Random rnd(test::TestSeed());
  std::map<std::string, std::string, decltype([](const std::string& a, const std::string& b) {
             return InternalKeyComparator(&reverse).Compare(a, b) < 0;
           })>
      sorted;
  for (int i = 0; i < 2000; i++) {
    sorted[IKey(test::RandomString(&rnd, 1 + rnd.Uniform(20)), 1 + rnd.Uniform(3), kTypeValue)] =
        test::RandomString(&rnd, rnd.Uniform(30));
  }
  const KVVector entries(sorted.begin(), sorted.end());
  const std::string contents = BuildTable(options, entries);
  std::shared_ptr<Table> table = OpenTable(options, contents);
  ASSERT_NE(nullptr, table);
  auto it = table->NewIterator(ReadOptions());
  test::CheckIteratorAgainstModel(
      it.get(), entries, &icmp,
      [&](Random* r) {
        return IKey(test::RandomString(r, 1 + r->Uniform(20)), r->Uniform(4), kTypeValue);
      },
      &rnd, 2000);
  for (const auto& [k, v] : entries) {
    Table::GetState state;
    std::string value;
    ASSERT_OK(table->Get(ReadOptions(), LookupKey(ExtractUserKey(k), ExtractTag(k) >> 8), &state,
                         &value));
    ASSERT_EQ(Table::GetState::kFound, state);
    ASSERT_EQ(v, value);
  }
}

TEST(TableTest, ManyVersionsOfOneKeyAcrossBlocks) {
  const TableOptions options = SmallBlockOptions();
  KVVector entries;
  entries.emplace_back(IKey("a", 5, kTypeValue), "a5");
  for (SequenceNumber seq = 400; seq >= 2; seq -= 2) {
    const ValueType type = seq % 10 == 0 ? kTypeDeletion : kTypeValue;
    entries.emplace_back(IKey("key", seq, type),
                         type == kTypeValue ? "v" + std::to_string(seq) : "");
  }
  entries.emplace_back(IKey("z", 5, kTypeValue), "z5");
  const std::string contents = BuildTable(options, entries);
  std::shared_ptr<Table> table = OpenTable(options, contents);
  ASSERT_NE(nullptr, table);
  EXPECT_GT(table->properties().num_data_blocks, 10u);
  for (SequenceNumber snap = 0; snap <= 402; snap++) {
    Table::GetState state;
    std::string value;
    ASSERT_OK(table->Get(ReadOptions(), LookupKey("key", snap), &state, &value));
    const SequenceNumber visible = std::min<SequenceNumber>(snap - snap % 2, 400);
    if (visible == 0) {
      EXPECT_EQ(Table::GetState::kNotPresent, state) << snap;
    } else if (visible % 10 == 0) {
      EXPECT_EQ(Table::GetState::kDeleted, state) << snap;
    } else {
      ASSERT_EQ(Table::GetState::kFound, state) << snap;
      EXPECT_EQ("v" + std::to_string(visible), value);
    }
  }
}

TEST(TableTest, ShortenedSeparatorsStillFindTheRightBlock) {
  // Adjacent blocks whose keys differ late and early; lookups of keys between blocks (which the
  // separators cover) must say "absent" without error.
  const TableOptions options = SmallBlockOptions();
  KVVector entries;
  const std::vector<std::string> keys = {"abc0000000000000000000000000000001",
                                         "abc0000000000000000000000000000002",
                                         "abd",
                                         "abx",
                                         "b",
                                         "ba",
                                         "c",
                                         std::string(40, 'c'),
                                         "d"};
  for (const std::string& k : keys) {
    entries.emplace_back(IKey(k, 1, kTypeValue), std::string(60, 'v'));
  }
  const std::string contents = BuildTable(options, entries);
  std::shared_ptr<Table> table = OpenTable(options, contents);
  ASSERT_NE(nullptr, table);
  for (const char* k : {"abc1", "abe", "abz", "b0", "bb", "c\x01", "cd", "e", ""}) {
    Table::GetState state;
    std::string value;
    ASSERT_OK(table->Get(ReadOptions(), LookupKey(k, 10), &state, &value));
    EXPECT_EQ(Table::GetState::kNotPresent, state) << k;
  }
}

TEST(TableTest, CompressionIsUsedOnlyWhenItPays) {
  for (const CompressionType type : {CompressionType::kSnappy, CompressionType::kZstd}) {
    if (!CompressionTypeSupported(type)) continue;
    Random rnd(test::TestSeed());
    TableOptions options = SmallBlockOptions();
    options.block_size = 4096;
    options.compression = type;
    KVVector compressible, incompressible;
    for (int i = 0; i < 200; i++) {
      compressible.emplace_back(IKey(test::NumberKey(i), 1, kTypeValue),
                                test::CompressibleString(&rnd, 0.1, 200));
      incompressible.emplace_back(IKey(test::NumberKey(i), 1, kTypeValue),
                                  test::RandomBytes(&rnd, 200));
    }
    const std::string small = BuildTable(options, compressible);
    const std::string big = BuildTable(options, incompressible);
    std::shared_ptr<Table> t1 = OpenTable(options, small);
    std::shared_ptr<Table> t2 = OpenTable(options, big);
    ASSERT_TRUE(t1 && t2);
    EXPECT_LT(t1->properties().data_bytes * 3, t1->properties().raw_value_bytes);
    // The trailer's type byte says how the first data block was stored.
    auto first_block_type = [](const std::string& contents) {
      const BlockHandle h = FirstDataBlock(contents);
      return static_cast<uint8_t>(contents[h.offset() + h.size()]);
    };
    EXPECT_EQ(static_cast<uint8_t>(type), first_block_type(small));
    EXPECT_EQ(0, first_block_type(big));
    for (const auto* data : {&compressible, &incompressible}) {
      std::shared_ptr<Table> t = data == &compressible ? t1 : t2;
      auto it = t->NewIterator(ReadOptions());
      size_t i = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
        ASSERT_EQ((*data)[i].second, it->value());
      }
      EXPECT_EQ(data->size(), i);
      EXPECT_OK(it->status());
    }
  }
}

TEST(TableTest, BlockCacheServesRepeatedReads) {
  TableOptions options = SmallBlockOptions();
  options.block_cache = NewLRUCache(size_t{1} << 20);
  const KVVector entries = NumberedEntries(300);
  const std::string contents = BuildTable(options, entries);
  const test::StringSource* source = nullptr;
  std::shared_ptr<Table> table = OpenTable(options, contents, true, &source);
  ASSERT_NE(nullptr, table);
  const uint64_t blocks = table->properties().num_data_blocks;
  ASSERT_GT(blocks, 10u);

  auto scan = [&](const ReadOptions& ro) {
    const uint64_t before = source->reads();
    auto it = table->NewIterator(ro);
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    EXPECT_EQ(entries.size(), n);
    EXPECT_OK(it->status());
    return source->reads() - before;
  };
  ReadOptions no_fill;
  no_fill.fill_cache = false;
  EXPECT_EQ(blocks, scan(no_fill));  // nothing cached yet, and this scan caches nothing
  EXPECT_EQ(blocks, scan(ReadOptions()));
  EXPECT_EQ(0u, scan(ReadOptions()));
  EXPECT_EQ(0u, scan(no_fill));  // cached blocks are used even without fill_cache
  EXPECT_GT(options.block_cache->TotalCharge(), contents.size() / 2);

  const uint64_t before = source->reads();
  for (const auto& [k, v] : entries) {
    Table::GetState state;
    std::string value;
    ASSERT_OK(table->Get(ReadOptions(), LookupKey(ExtractUserKey(k), kMaxSequenceNumber), &state,
                         &value));
    ASSERT_EQ(Table::GetState::kFound, state);
    ASSERT_EQ(v, value);
  }
  EXPECT_EQ(before, source->reads());
}

TEST(TableTest, BlocksEvictedWhileInUseStayValid) {
  TableOptions options = SmallBlockOptions();
  options.block_cache = NewLRUCache(600, 0);  // a few blocks at most
  const KVVector entries = NumberedEntries(400, 50);
  const std::string contents = BuildTable(options, entries);
  std::shared_ptr<Table> table = OpenTable(options, contents);
  ASSERT_NE(nullptr, table);
  auto it1 = table->NewIterator(ReadOptions());
  auto it2 = table->NewIterator(ReadOptions());
  it1->SeekToFirst();
  it2->SeekToLast();
  for (size_t i = 0; i < entries.size(); i++) {
    ASSERT_TRUE(it1->Valid() && it2->Valid());
    ASSERT_EQ(entries[i].first, it1->key());
    ASSERT_EQ(entries[entries.size() - 1 - i].second, it2->value());
    it1->Next();
    it2->Prev();
    EXPECT_LE(options.block_cache->TotalCharge(), 600u);
  }
  EXPECT_FALSE(it1->Valid() || it2->Valid());
}

TEST(TableTest, ConcurrentReadersShareATinyBlockCache) {
  TableOptions options = SmallBlockOptions();
  options.block_cache = NewLRUCache(2048, 2);  // blocks are evicted all the time
  const KVVector entries = NumberedEntries(2000);
  const std::string contents = BuildTable(options, entries);
  std::shared_ptr<Table> table = OpenTable(options, contents);
  ASSERT_NE(nullptr, table);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      Random rnd(test::TestSeed() + t);
      auto it = table->NewIterator(ReadOptions());
      for (int op = 0; op < 3000; op++) {
        const size_t i = rnd.Uniform(entries.size());
        if (rnd.OneIn(2)) {
          Table::GetState state;
          std::string value;
          const Status s = table->Get(
              ReadOptions(), LookupKey(ExtractUserKey(entries[i].first), kMaxSequenceNumber),
              &state, &value);
          if (!s.ok() || state != Table::GetState::kFound || value != entries[i].second) wrong++;
        } else {
          it->Seek(entries[i].first);
          for (size_t j = i; j < std::min(i + 5, entries.size()); j++, it->Next()) {
            if (!it->Valid() || it->key() != entries[j].first) {
              wrong++;
              break;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, wrong.load());
  EXPECT_LE(options.block_cache->TotalCharge(), 2048u);
}

TEST(TableTest, IteratorOutlivesTableHandle) {
  const TableOptions options = SmallBlockOptions();
  const KVVector entries = NumberedEntries(50);
  const std::string contents = BuildTable(options, entries);
  std::shared_ptr<Table> table = OpenTable(options, contents);
  auto it = table->NewIterator(ReadOptions());
  table.reset();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  EXPECT_EQ(entries.size(), n);
}

TEST(TableTest, BuilderKeepsTheFirstWriteError) {
  TableOptions options = SmallBlockOptions();
  test::StringSink sink;
  sink.set_fail_after(300);
  TableBuilder builder(options, &sink);
  for (const auto& [k, v] : NumberedEntries(100)) builder.Add(k, v);
  EXPECT_TRUE(builder.status().IsIOError());
  const Status s = builder.Finish();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_LE(builder.FileSize(), 300u);
}

TEST(TableTest, ReadErrorsArePropagated) {
  std::shared_ptr<Table> table;
  const Status s = Table::Open(SmallBlockOptions(), std::make_unique<test::FailingSource>(), 1000,
                               "t.sst", &table);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("t.sst")) << s.ToString();
  EXPECT_EQ(nullptr, table);
}

// ---- Corruption -----------------------------------------------------------------------------

class TableCorruptionTest : public ::testing::Test {
 protected:
  void Build(CompressionType compression = CompressionType::kNone) {
    options_ = SmallBlockOptions();
    options_.block_size = 64;
    options_.compression = compression;
    entries_.clear();
    Random rnd(test::TestSeed());
    for (int i = 0; i < 12; i++) {
      const ValueType type = i % 5 == 4 ? kTypeDeletion : kTypeValue;
      entries_.emplace_back(IKey("k" + std::to_string(10 + i), 7 + i, type),
                            type == kTypeValue ? test::CompressibleString(&rnd, 0.3, 30) : "");
    }
    contents_ = BuildTable(options_, entries_);
  }

  Status Open(const std::string& contents, std::shared_ptr<Table>* table, uint64_t size) {
    return Table::Open(options_, std::make_unique<test::StringSource>(contents, false), size,
                       "000042.sst", table);
  }

  // Every answer the damaged table gives is either right or an error. Returns true if it
  // reported an error anywhere.
  bool CheckAnswers(const Table& table, const ReadOptions& ro, bool exact) {
    bool error = false;
    auto it = table.NewIterator(ro);
    size_t i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
      if (exact && (i >= entries_.size() || entries_[i].first != it->key() ||
                    entries_[i].second != it->value())) {
        ADD_FAILURE() << "wrong entry " << i;
        return true;
      }
      if (i > 1000) {
        ADD_FAILURE() << "iteration does not end";
        return true;
      }
    }
    if (it->status().ok()) {
      if (exact) {
        EXPECT_EQ(entries_.size(), i) << "entries lost without an error";
      }
    } else {
      error = true;
    }
    for (it->SeekToLast(); it->Valid() && i > 0; it->Prev(), i--) {
    }
    for (const auto& [k, v] : entries_) {
      Table::GetState state;
      std::string value;
      const Status s =
          table.Get(ro, LookupKey(ExtractUserKey(k), kMaxSequenceNumber), &state, &value);
      if (!s.ok()) {
        error = true;
        continue;
      }
      if (!exact) continue;
      const bool deleted = (ExtractTag(k) & 0xff) == kTypeDeletion;
      EXPECT_EQ(deleted ? Table::GetState::kDeleted : Table::GetState::kFound, state);
      if (!deleted) {
        EXPECT_EQ(v, value);
      }
    }
    return error;
  }

  TableOptions options_;
  KVVector entries_;
  std::string contents_;
};

TEST_F(TableCorruptionTest, EveryBitFlipIsDetectedOrHarmless) {
  for (const CompressionType c :
       {CompressionType::kNone, CompressionType::kSnappy, CompressionType::kZstd}) {
    if (!CompressionTypeSupported(c)) continue;
    Build(c);
    SCOPED_TRACE("compression " + std::to_string(static_cast<int>(c)) + ", size " +
                 std::to_string(contents_.size()));
    int open_errors = 0, read_errors = 0;
    for (size_t bit = 0; bit < contents_.size() * 8; bit++) {
      std::string damaged = contents_;
      damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
      std::shared_ptr<Table> table;
      if (!Open(damaged, &table, damaged.size()).ok()) {
        open_errors++;
        continue;
      }
      const bool read_error = CheckAnswers(*table, ReadOptions(), /*exact=*/true);
      const bool verify_error = !table->VerifyChecksums().ok();
      // Every byte of an SST is covered by a checksum: no flip may go unnoticed.
      EXPECT_TRUE(read_error || verify_error) << "flip of bit " << bit << " undetected";
      EXPECT_TRUE(verify_error) << "VerifyChecksums misses bit " << bit;
      read_errors += read_error;
      // Without verification damaged data blocks reach the block parser: answers may be wrong,
      // but nothing may crash or read out of bounds. (Compressed blocks are verified anyway.)
      if (c == CompressionType::kNone) {
        ReadOptions unverified;
        unverified.verify_checksums = false;
        CheckAnswers(*table, unverified, /*exact=*/false);
      }
      if (HasFatalFailure()) return;
    }
    EXPECT_GT(open_errors, 0);
    EXPECT_GT(read_errors, 0);
  }
}

TEST_F(TableCorruptionTest, TruncatedFilesAreCorrupt) {
  Build();
  for (size_t len = 0; len < contents_.size(); len++) {
    std::shared_ptr<Table> table;
    const Status s = Open(contents_.substr(0, len), &table, len);
    EXPECT_TRUE(s.IsCorruption()) << len << ": " << s.ToString();
  }
  // The MANIFEST claims more bytes than the file holds.
  std::shared_ptr<Table> table;
  const Status s = Open(contents_.substr(0, contents_.size() - 10), &table, contents_.size());
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(TableCorruptionTest, BadMagicIsNotAnSstFile) {
  Build();
  std::string damaged = contents_;
  damaged[damaged.size() - 1] ^= 0x20;
  std::shared_ptr<Table> table;
  const Status s = Open(damaged, &table, damaged.size());
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ("Corruption: 000042.sst: not an SST file (bad magic number)", s.ToString());
  EXPECT_TRUE(Open("hello", &table, 5).IsCorruption());
}

TEST_F(TableCorruptionTest, NewerFormatVersionOrChecksumTypeIsNotSupported) {
  Build();
  const uint64_t footer_offset = contents_.size() - Footer::kEncodedLength;
  Footer footer;
  ASSERT_OK(footer.DecodeFrom(std::string_view(contents_).substr(footer_offset), footer_offset));
  EXPECT_EQ(1u, footer.format_version);

  auto with_footer = [&](const Footer& f) {
    std::string s = contents_.substr(0, footer_offset);
    f.EncodeTo(&s, footer_offset);  // a well-formed, correctly checksummed footer
    return s;
  };
  Footer newer = footer;
  newer.format_version = 2;
  std::shared_ptr<Table> table;
  Status s = Open(with_footer(newer), &table, contents_.size());
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("000042.sst: SST format version 2"))
      << s.ToString();

  Footer other_checksum = footer;
  other_checksum.checksum_type = static_cast<ChecksumType>(7);
  s = Open(with_footer(other_checksum), &table, contents_.size());
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();

  Footer zero = footer;
  zero.format_version = 0;
  EXPECT_TRUE(Open(with_footer(zero), &table, contents_.size()).IsCorruption());
  // Re-encoding the original footer gives back the original file.
  EXPECT_EQ(contents_, with_footer(footer));
}

TEST_F(TableCorruptionTest, ErrorsNameTheFileAndOffset) {
  Build();
  std::string damaged = contents_;
  damaged[3] ^= 1;  // inside the first data block, at offset 0
  std::shared_ptr<Table> table;
  ASSERT_OK(Open(damaged, &table, damaged.size()));
  Table::GetState state;
  std::string value;
  const Status s =
      table->Get(ReadOptions(), LookupKey(ExtractUserKey(entries_[0].first), 100), &state, &value);
  const uint64_t first_size = FirstDataBlock(contents_).size();
  EXPECT_EQ("Corruption: 000042.sst: block checksum mismatch at offset 0 (size " +
                std::to_string(first_size) + ")",
            s.ToString());
  EXPECT_EQ(s.ToString(), table->VerifyChecksums().ToString());
  auto it = table->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_EQ(s.ToString(), it->status().ToString());
  it->Seek(entries_.back().first);  // a later Seek does not clear the error
  EXPECT_FALSE(it->Valid());
  EXPECT_FALSE(it->status().ok());
}

TEST_F(TableCorruptionTest, HandlesPointingOutsideTheFileAreRejected) {
  Build();
  const uint64_t footer_offset = contents_.size() - Footer::kEncodedLength;
  Footer footer;
  ASSERT_OK(footer.DecodeFrom(std::string_view(contents_).substr(footer_offset), footer_offset));
  for (const BlockHandle& bad :
       {BlockHandle(footer_offset, 10), BlockHandle(0, footer_offset),
        BlockHandle(~uint64_t{0} - 3, 10), BlockHandle(5, ~uint64_t{0} - 2),
        BlockHandle(footer_offset - 4, 0)}) {
    Footer f = footer;
    f.index_handle = bad;
    std::string s = contents_.substr(0, footer_offset);
    f.EncodeTo(&s, footer_offset);
    std::shared_ptr<Table> table;
    const Status st = Open(s, &table, s.size());
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  }
}

// ---- The worked example of docs/format.md (Part III) --------------------------------------------------

std::string HexDump(std::string_view s) {
  std::string out;
  char buf[8];
  for (size_t i = 0; i < s.size(); i++) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<uint8_t>(s[i]));
    out += buf;
  }
  return out;
}

TEST(TableFormatTest, WorkedExampleMatchesTheSpec) {
  TableOptions options;
  options.comparator = &kIcmp;  // defaults otherwise: 4 KiB blocks, restart 16, 10 bits/key
  const std::string contents = BuildTable(
      options, {{IKey("apple", 1, kTypeValue), "red"}, {IKey("apricot", 2, kTypeValue), "orange"}});
  // docs/format.md (Part III) "Worked example" shows and explains these bytes; keep the two in sync.
  const std::string expected =
      // data block @0 (49 bytes) + trailer
      "000d036170706c650101000000000000726564020d067269636f740102000000"
      "0000006f72616e67650000000001000000009a1058f9"
      // filter block @54 (69) + trailer
      "0000000000000001000000000000200000100000000000004000000000000008"
      "0010800000000000000000000810000004000020000080800000000000000200"
      "070100000000dcf2dd0f"
      // properties block @128 (163) + trailer
      "0011017374726174612e646174612e627974657336070c0166696c7465722e62"
      "797465734a070b01696e6465782e62797465731b070f016e756d2e646174612e"
      "626c6f636b73010c0801656c6574696f6e73000b0701656e747269657302070d"
      "017261772e6b65792e62797465731c0b0b0176616c75652e627974657309070d"
      "017365716e6f2e6c617267657374020d0801736d616c6c657374010000000001"
      "000000004fef5e89"
      // metaindex block @296 (49) + trailer
      "0013027374726174612e66696c7465722e626c6f6f6d3645070a0470726f7065"
      "72746965738001a301000000000100000000834b921e"
      // index block @350 (22) + trailer
      "0009026201ffffffffffffff00310000000001000000003ee0f275"
      // footer @377 (57)
      "2cef078801a80231de0216000000000000000000000000000000000000000000"
      "00000000000000000000000000010000005354524154415354";
  EXPECT_EQ(expected, HexDump(contents));
  EXPECT_EQ(434u, contents.size());

  // And the reader agrees with the spec's reading of them.
  std::shared_ptr<Table> table = OpenTable(options, contents);
  ASSERT_NE(nullptr, table);
  Table::GetState state;
  std::string value;
  ASSERT_OK(table->Get(ReadOptions(), LookupKey("apple", kMaxSequenceNumber), &state, &value));
  EXPECT_EQ(Table::GetState::kFound, state);
  EXPECT_EQ("red", value);
  EXPECT_EQ(54u, table->properties().data_bytes);
  EXPECT_EQ(74u, table->properties().filter_bytes);
  EXPECT_EQ(27u, table->properties().index_bytes);
}

TEST(TablePropertiesTest, RoundTripUnknownNamesAndBadValues) {
  TableProperties p;
  p.num_entries = 5;
  p.num_deletions = 1;
  p.raw_key_bytes = 300;
  p.raw_value_bytes = uint64_t{1} << 40;
  p.data_bytes = 7;
  p.index_bytes = 8;
  p.filter_bytes = 9;
  p.num_data_blocks = 10;
  p.smallest_seqno = 11;
  p.largest_seqno = kMaxSequenceNumber;
  Block block(test::ExactContents(EncodeProperties(p)));
  TableProperties q;
  ASSERT_OK(DecodeProperties(block, "f.sst", &q));
  EXPECT_EQ(5u, q.num_entries);
  EXPECT_EQ(1u, q.num_deletions);
  EXPECT_EQ(300u, q.raw_key_bytes);
  EXPECT_EQ(uint64_t{1} << 40, q.raw_value_bytes);
  EXPECT_EQ(7u, q.data_bytes);
  EXPECT_EQ(8u, q.index_bytes);
  EXPECT_EQ(9u, q.filter_bytes);
  EXPECT_EQ(10u, q.num_data_blocks);
  EXPECT_EQ(11u, q.smallest_seqno);
  EXPECT_EQ(kMaxSequenceNumber, q.largest_seqno);

  auto decode = [](std::string_view name, std::string_view value, TableProperties* out) {
    BlockBuilder b(16);
    b.Add("strata.aaa.unknown", "anything");  // a later version's property: skipped
    b.Add(name, value);
    b.Add("zzz", "");
    Block blk(test::ExactContents(b.Finish()));
    return DecodeProperties(blk, "f.sst", out);
  };
  TableProperties r;
  ASSERT_OK(decode("strata.num.entries", "\x07", &r));
  EXPECT_EQ(7u, r.num_entries);
  EXPECT_EQ(0u, r.num_deletions);  // absent: 0
  const Status truncated = decode("strata.num.entries", "\x80", &r);
  EXPECT_EQ("Corruption: f.sst: bad value of table property strata.num.entries",
            truncated.ToString());
  EXPECT_TRUE(decode("strata.num.entries", std::string_view("\x07\x00", 2), &r).IsCorruption());
  EXPECT_TRUE(decode("strata.seqno.largest", "", &r).IsCorruption());
}

TEST(TableTest, OpenRequiresAComparator) {
  std::shared_ptr<Table> table;
  EXPECT_TRUE(
      Table::Open(TableOptions(), std::make_unique<test::StringSource>("x"), 1, "t.sst", &table)
          .IsInvalidArgument());
}

// ---- TableCache -------------------------------------------------------------------------------

class TableCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.comparator = &kIcmp;
    options_.block_size = 256;
  }
  uint64_t AddTable(uint64_t number, int n) {
    const std::string contents = BuildTable(options_, NumberedEntries(n));
    fs_.Put(TableFileName("db", number), contents);
    return contents.size();
  }

  TableOptions options_;
  test::MapFileSystem fs_;
};

TEST_F(TableCacheTest, OpensOnceAndServesReads) {
  TableCache cache("db", &fs_, options_, 10);
  const uint64_t size = AddTable(7, 100);
  std::shared_ptr<Table> t1, t2;
  ASSERT_OK(cache.FindTable(7, size, &t1));
  ASSERT_OK(cache.FindTable(7, size, &t2));
  EXPECT_EQ(t1, t2);
  EXPECT_EQ(1, fs_.opens());
  EXPECT_EQ("db/000007.sst", t1->file_name());

  Table::GetState state;
  std::string value;
  ASSERT_OK(
      cache.Get(ReadOptions(), 7, size, LookupKey(test::NumberKey(42), 1000), &state, &value));
  EXPECT_EQ(Table::GetState::kFound, state);
  EXPECT_EQ(std::string(20, 'a' + 42 % 26), value);
  auto it = cache.NewIterator(ReadOptions(), 7, size);
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  EXPECT_EQ(100u, n);
  EXPECT_EQ(1, fs_.opens());
}

TEST_F(TableCacheTest, ErrorsAreReturnedAndNotCached) {
  TableCache cache("db", &fs_, options_, 10);
  std::shared_ptr<Table> table;
  EXPECT_TRUE(cache.FindTable(9, 1000, &table).IsNotFound());
  auto it = cache.NewIterator(ReadOptions(), 9, 1000);
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsNotFound());

  fs_.Put(TableFileName("db", 9), "not a table at all, clearly not one, no, not at all. Nope!!");
  Status s = cache.FindTable(9, 60, &table);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("db/000009.sst")) << s.ToString();

  const uint64_t size = AddTable(9, 10);
  ASSERT_OK(cache.FindTable(9, size, &table));
  EXPECT_EQ(10u, table->properties().num_entries);
}

TEST_F(TableCacheTest, EvictionAndCapacity) {
  TableCache cache("db", &fs_, options_, 3);
  std::vector<uint64_t> sizes;
  for (uint64_t f = 1; f <= 5; f++) sizes.push_back(AddTable(f, 20));
  std::shared_ptr<Table> held;
  ASSERT_OK(cache.FindTable(1, sizes[0], &held));
  auto it = cache.NewIterator(ReadOptions(), 1, sizes[0]);
  for (uint64_t f = 2; f <= 5; f++) {
    std::shared_ptr<Table> t;
    ASSERT_OK(cache.FindTable(f, sizes[f - 1], &t));
  }
  EXPECT_EQ(5, fs_.opens());
  // Table 1 fell out of the cache, but the handle and the iterator still work.
  EXPECT_EQ(20u, held->properties().num_entries);
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  EXPECT_EQ(20u, n);
  std::shared_ptr<Table> t;
  ASSERT_OK(cache.FindTable(5, sizes[4], &t));
  EXPECT_EQ(5, fs_.opens());  // still cached
  cache.Evict(5);
  ASSERT_OK(cache.FindTable(5, sizes[4], &t));
  EXPECT_EQ(6, fs_.opens());
  ASSERT_OK(cache.FindTable(1, sizes[0], &t));
  EXPECT_EQ(7, fs_.opens());
}

}  // namespace
}  // namespace strata
