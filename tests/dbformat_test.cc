#include "db/dbformat.h"

#include "db/filename.h"
#include "testutil.h"

namespace strata {
namespace {

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType vt) {
  std::string encoded;
  AppendInternalKey(&encoded, ParsedInternalKey(user_key, seq, vt));
  return encoded;
}

TEST(DBFormatTest, InternalKeyRoundTrip) {
  const std::string keys[] = {"", "k", "hello", "longggggggggggggggggggggg", std::string("\0\xff", 2)};
  const SequenceNumber seqs[] = {1, 2, 3, (1ull << 8) - 1, 1ull << 8, (1ull << 32) - 1,
                                 kMaxSequenceNumber};
  for (const auto& k : keys) {
    for (const SequenceNumber s : seqs) {
      for (const ValueType t : {kTypeValue, kTypeDeletion}) {
        const std::string encoded = IKey(k, s, t);
        ParsedInternalKey decoded;
        ASSERT_TRUE(ParseInternalKey(encoded, &decoded));
        EXPECT_EQ(k, decoded.user_key);
        EXPECT_EQ(s, decoded.sequence);
        EXPECT_EQ(t, decoded.type);
        EXPECT_EQ(k, ExtractUserKey(encoded));
      }
    }
  }
  ParsedInternalKey decoded;
  EXPECT_FALSE(ParseInternalKey("bar", &decoded));  // too short
  std::string bad_type = IKey("k", 5, kTypeValue);
  bad_type[bad_type.size() - 8] = 0x7f;
  EXPECT_FALSE(ParseInternalKey(bad_type, &decoded));
}

TEST(DBFormatTest, InternalKeyOrder) {
  const InternalKeyComparator icmp(BytewiseComparator());
  // User key ascending, then sequence descending, then type descending.
  EXPECT_LT(icmp.Compare(IKey("a", 5, kTypeValue), IKey("b", 9, kTypeValue)), 0);
  EXPECT_LT(icmp.Compare(IKey("a", 9, kTypeValue), IKey("a", 5, kTypeValue)), 0);
  EXPECT_LT(icmp.Compare(IKey("a", 5, kTypeValue), IKey("a", 5, kTypeDeletion)), 0);
  EXPECT_EQ(0, icmp.Compare(IKey("a", 5, kTypeValue), IKey("a", 5, kTypeValue)));
}

TEST(DBFormatTest, ShortSeparatorsStayBetween) {
  const InternalKeyComparator icmp(BytewiseComparator());
  struct Case {
    std::string start, limit;
  } cases[] = {{"foo", "foo"}, {"foo", "bar"}, {"foo", "hello"}, {"foo", "foobar"},
               {"abcdef", "abzz"}, {std::string("\xff\xff", 2), std::string("\xff\xff\x01", 3)}};
  for (const auto& c : cases) {
    const std::string start = IKey(c.start, 100, kTypeValue);
    const std::string limit = IKey(c.limit, 200, kTypeValue);
    std::string sep = start;
    icmp.FindShortestSeparator(&sep, limit);
    EXPECT_LE(icmp.Compare(start, sep), 0) << c.start << " " << c.limit;
    if (icmp.Compare(start, limit) < 0) {
      EXPECT_LT(icmp.Compare(sep, limit), 0);
    }
    EXPECT_LE(sep.size(), start.size());
  }
  std::string succ = IKey("foo", 100, kTypeValue);
  icmp.FindShortSuccessor(&succ);
  EXPECT_EQ(IKey("g", kMaxSequenceNumber, kValueTypeForSeek), succ);
  std::string all_ff = IKey(std::string("\xff\xff", 2), 100, kTypeValue);
  const std::string before = all_ff;
  icmp.FindShortSuccessor(&all_ff);
  EXPECT_EQ(before, all_ff);
}

TEST(DBFormatTest, LookupKeyForms) {
  for (const size_t len : {size_t{0}, size_t{10}, size_t{300}}) {
    const std::string user_key(len, 'u');
    const LookupKey lkey(user_key, 77);
    EXPECT_EQ(user_key, lkey.user_key());
    EXPECT_EQ(IKey(user_key, 77, kValueTypeForSeek), lkey.internal_key());
    std::string_view mk = lkey.memtable_key();
    uint32_t n;
    ASSERT_TRUE(GetVarint32(&mk, &n));
    EXPECT_EQ(len + 8, n);
    EXPECT_EQ(lkey.internal_key(), mk);
  }
}

TEST(FileNameTest, ParseAndMake) {
  struct Case {
    std::string name;
    uint64_t number;
    FileType type;
  } ok_cases[] = {
      {"100.log", 100, FileType::kLogFile},
      {"0.log", 0, FileType::kLogFile},
      {"0.sst", 0, FileType::kTableFile},
      {"CURRENT", 0, FileType::kCurrentFile},
      {"LOCK", 0, FileType::kLockFile},
      {"MANIFEST-2", 2, FileType::kDescriptorFile},
      {"MANIFEST-7", 7, FileType::kDescriptorFile},
      {"18446744073709551615.log", 18446744073709551615ull, FileType::kLogFile},
      {"000042.dbtmp", 42, FileType::kTempFile},
  };
  for (const auto& c : ok_cases) {
    uint64_t number;
    FileType type;
    ASSERT_TRUE(ParseFileName(c.name, &number, &type)) << c.name;
    EXPECT_EQ(c.number, number) << c.name;
    EXPECT_EQ(c.type, type) << c.name;
  }
  for (const char* bad : {"", "foo", "foo-dx-100.log", ".log", "", "manifest", "CURREN",
                          "CURRENTX", "MANIFES", "MANIFEST", "MANIFEST-", "XMANIFEST-3",
                          "MANIFEST-3x", "LOC", "LOCKx", "100", "100.", "100.lop",
                          "18446744073709551616.log", "184467440737095516150.log", "-1.log"}) {
    uint64_t number;
    FileType type;
    EXPECT_FALSE(ParseFileName(bad, &number, &type)) << bad;
  }
  EXPECT_EQ("/db/000007.log", LogFileName("/db", 7));
  EXPECT_EQ("/db/1234567.sst", TableFileName("/db", 1234567));
  EXPECT_EQ("/db/MANIFEST-000003", DescriptorFileName("/db", 3));
  EXPECT_EQ("/db/CURRENT", CurrentFileName("/db"));
  uint64_t number;
  FileType type;
  ASSERT_TRUE(ParseFileName("MANIFEST-000003", &number, &type));
  EXPECT_EQ(3u, number);
}

}  // namespace
}  // namespace strata
