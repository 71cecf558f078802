#include "memtable/memtable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "db/dbformat.h"
#include "testutil.h"

namespace strata {
namespace {

using namespace std::string_literals;

// What a Get returned, in one comparable value.
struct GetResult {
  bool found = false;
  bool deleted = false;
  std::string value;

  bool operator==(const GetResult&) const = default;
};

std::ostream& operator<<(std::ostream& os, const GetResult& r) {
  if (!r.found) return os << "(absent)";
  if (r.deleted) return os << "(deleted)";
  return os << "'" << r.value << "'";
}

GetResult Found(std::string value) { return {true, false, std::move(value)}; }
const GetResult kAbsent{};
const GetResult kDeleted{true, true, ""};

GetResult Lookup(const MemTable& mem, std::string_view user_key, SequenceNumber seq) {
  const LookupKey key(user_key, seq);
  std::string value = "untouched";
  Status s = Status::Corruption("untouched");
  GetResult result;
  result.found = mem.Get(key, &value, &s);
  if (!result.found) {
    // A miss must leave the outputs alone.
    EXPECT_EQ("untouched", value);
    EXPECT_TRUE(s.IsCorruption());
    return result;
  }
  if (s.ok()) {
    result.value = value;
  } else {
    EXPECT_TRUE(s.IsNotFound()) << s.ToString();
    result.deleted = true;
  }
  return result;
}

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
  return std::string(InternalKey(user_key, seq, type).Encode());
}

struct Entry {
  std::string internal_key;
  std::string value;
  bool operator==(const Entry&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(e.internal_key, &parsed)) return os << "(bad key)";
  return os << parsed.DebugString() << " -> " << e.value.size() << " bytes";
}

std::vector<Entry> ScanForward(const MemTable& mem) {
  std::vector<Entry> entries;
  auto it = mem.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    entries.push_back({std::string(it->key()), std::string(it->value())});
  }
  EXPECT_OK(it->status());
  return entries;
}

std::vector<Entry> ScanBackward(const MemTable& mem) {
  std::vector<Entry> entries;
  auto it = mem.NewIterator();
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    entries.push_back({std::string(it->key()), std::string(it->value())});
  }
  EXPECT_OK(it->status());
  return entries;
}

class MemTableTest : public testing::Test {
 protected:
  InternalKeyComparator icmp_{BytewiseComparator()};
  MemTable mem_{icmp_};
};

TEST_F(MemTableTest, Empty) {
  EXPECT_EQ(kAbsent, Lookup(mem_, "a", kMaxSequenceNumber));
  EXPECT_EQ(kAbsent, Lookup(mem_, "", kMaxSequenceNumber));
  EXPECT_EQ(0u, mem_.NumEntries());
  EXPECT_EQ(0u, mem_.NumDeletes());
  auto it = mem_.NewIterator();
  EXPECT_FALSE(it->Valid());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("a", 1, kTypeValue));
  EXPECT_FALSE(it->Valid());
  EXPECT_OK(it->status());
}

TEST_F(MemTableTest, LookupSeesNewestVersionAtItsSequence) {
  mem_.Add(5, kTypeValue, "k", "v5");
  mem_.Add(9, kTypeValue, "k", "v9");
  EXPECT_EQ(kAbsent, Lookup(mem_, "k", 4));
  EXPECT_EQ(Found("v5"), Lookup(mem_, "k", 5));
  EXPECT_EQ(Found("v5"), Lookup(mem_, "k", 8));
  EXPECT_EQ(Found("v9"), Lookup(mem_, "k", 9));
  EXPECT_EQ(Found("v9"), Lookup(mem_, "k", kMaxSequenceNumber));
  // Neighbouring user keys, including prefixes and extensions, are not "k".
  EXPECT_EQ(kAbsent, Lookup(mem_, "j", 100));
  EXPECT_EQ(kAbsent, Lookup(mem_, "", 100));
  EXPECT_EQ(kAbsent, Lookup(mem_, "k\0"s, 100));
  EXPECT_EQ(kAbsent, Lookup(mem_, "kk", 100));
}

TEST_F(MemTableTest, DeletionHidesAndRePutRevives) {
  mem_.Add(1, kTypeValue, "k", "old");
  mem_.Add(2, kTypeDeletion, "k", "");
  mem_.Add(3, kTypeValue, "k", "new");
  mem_.Add(4, kTypeDeletion, "k", "");
  EXPECT_EQ(Found("old"), Lookup(mem_, "k", 1));
  EXPECT_EQ(kDeleted, Lookup(mem_, "k", 2));
  EXPECT_EQ(Found("new"), Lookup(mem_, "k", 3));
  EXPECT_EQ(kDeleted, Lookup(mem_, "k", 4));
  EXPECT_EQ(kDeleted, Lookup(mem_, "k", kMaxSequenceNumber));
  EXPECT_EQ(4u, mem_.NumEntries());
  EXPECT_EQ(2u, mem_.NumDeletes());
}

TEST_F(MemTableTest, DeletionOfAbsentKeyIsATombstone) {
  mem_.Add(7, kTypeDeletion, "gone", "");
  EXPECT_EQ(kAbsent, Lookup(mem_, "gone", 6));
  EXPECT_EQ(kDeleted, Lookup(mem_, "gone", 7));
}

TEST_F(MemTableTest, ManyVersionsOfOneKey) {
  constexpr SequenceNumber kVersions = 2000;
  // Out of order, to show that order comes from the sequence, not from insertion.
  std::vector<SequenceNumber> seqs;
  for (SequenceNumber s = 1; s <= kVersions; s++) seqs.push_back(s * 2);
  Random rnd(test::TestSeed());
  for (size_t i = seqs.size(); i > 1; i--) std::swap(seqs[i - 1], seqs[rnd.Uniform(i)]);
  for (const SequenceNumber s : seqs) {
    if (s % 6 == 0) {
      mem_.Add(s, kTypeDeletion, "key", "");
    } else {
      mem_.Add(s, kTypeValue, "key", "v" + std::to_string(s));
    }
  }
  EXPECT_EQ(kAbsent, Lookup(mem_, "key", 1));
  for (SequenceNumber s = 2; s <= 2 * kVersions + 1; s++) {
    const SequenceNumber newest = s & ~SequenceNumber{1};
    const GetResult expected = newest % 6 == 0 ? kDeleted : Found("v" + std::to_string(newest));
    ASSERT_EQ(expected, Lookup(mem_, "key", s)) << "at sequence " << s;
  }
  // Versions iterate newest first.
  const std::vector<Entry> entries = ScanForward(mem_);
  ASSERT_EQ(kVersions, entries.size());
  for (size_t i = 0; i < entries.size(); i++) {
    ParsedInternalKey parsed;
    ASSERT_TRUE(ParseInternalKey(entries[i].internal_key, &parsed));
    EXPECT_EQ(2 * (kVersions - i), parsed.sequence);
  }
}

TEST_F(MemTableTest, EmptyKeysAndValues) {
  mem_.Add(1, kTypeValue, "", "empty key");
  mem_.Add(2, kTypeValue, "a", "");
  mem_.Add(3, kTypeValue, "", "");
  EXPECT_EQ(Found("empty key"), Lookup(mem_, "", 2));
  EXPECT_EQ(Found(""), Lookup(mem_, "", 3));
  EXPECT_EQ(Found(""), Lookup(mem_, "a", 3));
  EXPECT_EQ(kAbsent, Lookup(mem_, "\0"s, 3));

  const std::vector<Entry> expected = {{IKey("", 3, kTypeValue), ""},
                                       {IKey("", 1, kTypeValue), "empty key"},
                                       {IKey("a", 2, kTypeValue), ""}};
  EXPECT_EQ(expected, ScanForward(mem_));
}

TEST_F(MemTableTest, BinaryKeysWithZeroBytes) {
  const std::vector<std::string> keys = {"\0"s,   "\0\0"s,  "a"s,    "a\0"s,
                                         "a\0b"s, "a\0\0"s, "\xff"s, "\xff\0"s};
  for (size_t i = 0; i < keys.size(); i++) {
    mem_.Add(i + 1, kTypeValue, keys[i], "value of " + std::to_string(i) + "\0!"s);
  }
  for (size_t i = 0; i < keys.size(); i++) {
    EXPECT_EQ(Found("value of " + std::to_string(i) + "\0!"s), Lookup(mem_, keys[i], 100)) << i;
  }
  EXPECT_EQ(kAbsent, Lookup(mem_, "a\0c"s, 100));
  EXPECT_EQ(kAbsent, Lookup(mem_, "\0\0\0"s, 100));

  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> scanned;
  for (const Entry& e : ScanForward(mem_)) scanned.emplace_back(ExtractUserKey(e.internal_key));
  EXPECT_EQ(sorted, scanned);
}

TEST_F(MemTableTest, HugeKeysAndValues) {
  Random rnd(test::TestSeed());
  const std::string big_key = test::RandomBytes(&rnd, 1 << 20);
  const std::string big_value = test::RandomBytes(&rnd, (3 << 20) + 17);
  const std::string prefix_key = big_key.substr(0, big_key.size() - 1);
  mem_.Add(1, kTypeValue, big_key, big_value);
  mem_.Add(2, kTypeValue, prefix_key, "short");
  mem_.Add(3, kTypeValue, "small", big_value);

  EXPECT_EQ(Found(big_value), Lookup(mem_, big_key, 10));
  EXPECT_EQ(Found("short"), Lookup(mem_, prefix_key, 10));
  EXPECT_EQ(Found(big_value), Lookup(mem_, "small", 10));
  EXPECT_EQ(kAbsent, Lookup(mem_, big_key, 0));

  auto it = mem_.NewIterator();
  it->Seek(IKey(big_key, 10, kTypeValue));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(IKey(big_key, 1, kTypeValue), it->key());
  EXPECT_EQ(big_value, it->value());
  EXPECT_GE(mem_.ApproximateMemoryUsage(), big_key.size() * 2 + big_value.size() * 2);
}

// Random operations against a model ordered by the internal key comparator.
class MemTableModelTest : public MemTableTest {
 protected:
  void AddRandom(Random* rnd, int n) {
    for (int i = 0; i < n; i++) {
      const std::string user_key = test::RandomBytes(rnd, rnd->Uniform(3));
      const ValueType type = rnd->OneIn(4) ? kTypeDeletion : kTypeValue;
      const std::string value = type == kTypeValue ? test::RandomString(rnd, rnd->Skewed(6)) : "";
      const SequenceNumber seq = ++last_seq_;
      mem_.Add(seq, type, user_key, value);
      model_.push_back({IKey(user_key, seq, type), value});
    }
    std::sort(model_.begin(), model_.end(), [this](const Entry& a, const Entry& b) {
      return icmp_.Compare(a.internal_key, b.internal_key) < 0;
    });
  }

  std::vector<Entry> model_;  // sorted after AddRandom
  SequenceNumber last_seq_ = 0;
};

TEST_F(MemTableModelTest, IterationFollowsInternalKeyOrder) {
  Random rnd(test::TestSeed());
  AddRandom(&rnd, 3000);
  EXPECT_EQ(model_, ScanForward(mem_));
  std::vector<Entry> reversed(model_.rbegin(), model_.rend());
  EXPECT_EQ(reversed, ScanBackward(mem_));
}

TEST_F(MemTableModelTest, SeekWithInternalKeys) {
  Random rnd(test::TestSeed());
  AddRandom(&rnd, 3000);
  auto it = mem_.NewIterator();
  for (int i = 0; i < 3000; i++) {
    const std::string target =
        IKey(test::RandomBytes(&rnd, rnd.Uniform(3)), rnd.Uniform(last_seq_ + 2),
             rnd.OneIn(2) ? kTypeValue : kTypeDeletion);
    it->Seek(target);
    const auto expected = std::lower_bound(
        model_.begin(), model_.end(), target,
        [this](const Entry& e, auto& t) { return icmp_.Compare(e.internal_key, t) < 0; });
    if (expected == model_.end()) {
      ASSERT_FALSE(it->Valid());
      continue;
    }
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(*expected, (Entry{std::string(it->key()), std::string(it->value())}));
    if (expected != model_.begin()) {
      it->Prev();
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(*(expected - 1), (Entry{std::string(it->key()), std::string(it->value())}));
    }
  }
}

TEST_F(MemTableModelTest, GetMatchesModelAtEverySequence) {
  Random rnd(test::TestSeed());
  AddRandom(&rnd, 1000);
  for (int i = 0; i < 3000; i++) {
    const std::string user_key = test::RandomBytes(&rnd, rnd.Uniform(3));
    const SequenceNumber seq = rnd.Uniform(last_seq_ + 2);
    GetResult expected;
    for (const Entry& e : model_) {  // newest first within a user key
      ParsedInternalKey parsed;
      ASSERT_TRUE(ParseInternalKey(e.internal_key, &parsed));
      if (parsed.user_key != user_key || parsed.sequence > seq) continue;
      expected = parsed.type == kTypeValue ? Found(e.value) : kDeleted;
      break;
    }
    ASSERT_EQ(expected, Lookup(mem_, user_key, seq));
  }
}

TEST_F(MemTableTest, IteratorKeysArePinnedInTheArena) {
  mem_.Add(1, kTypeValue, "a", "va");
  mem_.Add(2, kTypeValue, "b", "vb");
  std::string_view key;
  std::string_view value;
  {
    auto it = mem_.NewIterator();
    EXPECT_TRUE(it->IsKeyPinned());
    it->SeekToFirst();
    key = it->key();
    value = it->value();
    it->Next();
    ASSERT_TRUE(it->Valid());
  }
  // Still readable after the iterator moved on and died: the bytes belong to the memtable.
  EXPECT_EQ(IKey("a", 1, kTypeValue), key);
  EXPECT_EQ("va", value);
}

TEST_F(MemTableTest, MemoryUsageAccounting) {
  const size_t initial = mem_.ApproximateMemoryUsage();
  EXPECT_LT(initial, 128u << 10) << "an empty memtable is small";
  size_t last = initial;
  size_t payload = 0;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; i++) {
    const std::string key = test::NumberKey(static_cast<uint64_t>(i));
    const std::string value(100, 'v');
    mem_.Add(static_cast<SequenceNumber>(i + 1), kTypeValue, key, value);
    payload += key.size() + 8 + value.size();
    const size_t usage = mem_.ApproximateMemoryUsage();
    ASSERT_GE(usage, last);
    ASSERT_GE(usage, payload);
    last = usage;
  }
  // Per entry: two length bytes, a node (key pointer and on average 4/3 links), alignment.
  EXPECT_LE(last, initial + payload + kN * 48u + (64u << 10));
  EXPECT_EQ(static_cast<uint64_t>(kN), mem_.NumEntries());
  EXPECT_EQ(0u, mem_.NumDeletes());
}

// Orders user keys backwards, so the generic (non-bytewise) comparison path is used.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return b.compare(a); }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(MemTableCustomComparatorTest, UsesTheUserOrder) {
  ReverseComparator reverse;
  InternalKeyComparator icmp(&reverse);
  MemTable mem(icmp);
  mem.Add(1, kTypeValue, "a", "va");
  mem.Add(2, kTypeValue, "c", "vc");
  mem.Add(3, kTypeValue, "b", "vb");
  mem.Add(4, kTypeDeletion, "a", "");
  EXPECT_EQ(Found("vb"), Lookup(mem, "b", 10));
  EXPECT_EQ(Found("va"), Lookup(mem, "a", 3));
  EXPECT_EQ(kDeleted, Lookup(mem, "a", 4));
  EXPECT_EQ(kAbsent, Lookup(mem, "d", 10));
  const std::vector<Entry> expected = {{IKey("c", 2, kTypeValue), "vc"},
                                       {IKey("b", 3, kTypeValue), "vb"},
                                       {IKey("a", 4, kTypeDeletion), ""},
                                       {IKey("a", 1, kTypeValue), "va"}};
  EXPECT_EQ(expected, ScanForward(mem));
}

// ---- One writer, concurrent readers ------------------------------------------------------------

struct Op {
  std::string user_key;
  ValueType type;
  std::string value;  // seq i + 1 is ops[i]
};

struct History {
  std::vector<Op> ops;
  // Per user key, the sequence numbers that wrote it, ascending.
  std::map<std::string, std::vector<SequenceNumber>> versions;
  std::vector<std::string> user_keys;

  GetResult Expected(const std::string& user_key, SequenceNumber seq) const {
    const std::vector<SequenceNumber>& v = versions.at(user_key);
    auto newer = std::upper_bound(v.begin(), v.end(), seq);
    if (newer == v.begin()) return kAbsent;
    const Op& op = ops[*(newer - 1) - 1];
    return op.type == kTypeValue ? Found(op.value) : kDeleted;
  }
};

History MakeHistory(Random* rnd, size_t n) {
  History h;
  for (int i = 0; i < 300; i++) h.user_keys.push_back(test::RandomBytes(rnd, 1 + rnd->Uniform(12)));
  std::sort(h.user_keys.begin(), h.user_keys.end());
  h.user_keys.erase(std::unique(h.user_keys.begin(), h.user_keys.end()), h.user_keys.end());
  for (size_t i = 0; i < n; i++) {
    Op op;
    op.user_key = h.user_keys[rnd->Uniform(h.user_keys.size())];
    op.type = rnd->OneIn(5) ? kTypeDeletion : kTypeValue;
    if (op.type == kTypeValue) {
      op.value = std::to_string(i + 1) + ":" + test::RandomString(rnd, rnd->Skewed(7));
    }
    h.versions[op.user_key].push_back(i + 1);
    h.ops.push_back(std::move(op));
  }
  for (const std::string& k : h.user_keys) h.versions[k];  // keys never written read as absent
  return h;
}

void CheckGets(const MemTable& mem, const History& h, std::atomic<SequenceNumber>* published,
               Random* rnd) {
  for (int i = 0; i < 200; i++) {
    const SequenceNumber visible = published->load(std::memory_order_acquire);
    const std::string& user_key = h.user_keys[rnd->Uniform(h.user_keys.size())];
    const SequenceNumber seq = rnd->Uniform(visible + 1);
    ASSERT_EQ(h.Expected(user_key, seq), Lookup(mem, user_key, seq))
        << "key of " << user_key.size() << " bytes at sequence " << seq;
  }
}

void CheckScan(const MemTable& mem, const History& h, std::atomic<SequenceNumber>* published,
               const InternalKeyComparator& icmp) {
  const SequenceNumber visible = published->load(std::memory_order_acquire);
  auto it = mem.NewIterator();
  std::string previous;
  SequenceNumber seen_visible = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedInternalKey parsed;
    ASSERT_TRUE(ParseInternalKey(it->key(), &parsed));
    ASSERT_GE(parsed.sequence, 1u);
    ASSERT_LE(parsed.sequence, h.ops.size());
    const Op& op = h.ops[parsed.sequence - 1];
    ASSERT_EQ(op.user_key, parsed.user_key);
    ASSERT_EQ(op.type, parsed.type);
    ASSERT_EQ(op.value, it->value());
    if (!previous.empty()) {
      ASSERT_LT(icmp.Compare(previous, it->key()), 0);
    }
    previous.assign(it->key());
    if (parsed.sequence <= visible) seen_visible++;
  }
  ASSERT_EQ(visible, seen_visible) << "an entry published before the scan is missing";
}

TEST(MemTableConcurrencyTest, ReadersDuringWrites) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  const History h = MakeHistory(&rnd, static_cast<size_t>(60000 * test::TestScale()));
  InternalKeyComparator icmp(BytewiseComparator());
  MemTable mem(icmp);
  std::atomic<SequenceNumber> published{0};
  std::atomic<bool> done{false};

  auto reader = [&](uint64_t reader_seed, int* passes) {
    Random r(reader_seed);
    while (!done.load(std::memory_order_acquire) && !testing::Test::HasFailure()) {
      if (r.OneIn(4)) {
        CheckScan(mem, h, &published, icmp);
      } else {
        CheckGets(mem, h, &published, &r);
      }
      ++*passes;
    }
    CheckScan(mem, h, &published, icmp);
  };
  constexpr int kReaders = 3;
  std::vector<int> passes(kReaders, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; i++) threads.emplace_back(reader, seed + 1 + i, &passes[i]);

  const auto start = std::chrono::steady_clock::now();
  const auto budget = std::chrono::milliseconds(static_cast<int>(3000 * test::TestScale()));
  size_t written = 0;
  while (written < h.ops.size()) {
    const Op& op = h.ops[written];
    mem.Add(written + 1, op.type, op.user_key, op.value);
    written++;
    published.store(written, std::memory_order_release);
    if (written % 128 == 0) {
      // Slow builds (sanitizers) stop early rather than run for minutes.
      if (std::chrono::steady_clock::now() - start > budget) break;
      std::this_thread::yield();  // let readers interleave on few cores
    }
  }
  done.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  int total = 0;
  for (const int p : passes) total += p;
  EXPECT_GT(total, 0);
  EXPECT_EQ(written, mem.NumEntries());
  std::printf("%d reader passes during %zu writes\n", total, written);
}

}  // namespace
}  // namespace strata
