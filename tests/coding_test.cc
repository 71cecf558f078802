#include "util/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "testutil.h"

namespace strata {
namespace {

TEST(CodingTest, Fixed32RoundTripAndLittleEndian) {
  std::string s;
  for (uint32_t v = 0; v < 100000; v++) PutFixed32(&s, v);
  const char* p = s.data();
  for (uint32_t v = 0; v < 100000; v++, p += 4) ASSERT_EQ(v, DecodeFixed32(p));
  std::string one;
  PutFixed32(&one, 0x04030201);
  EXPECT_EQ(std::string("\x01\x02\x03\x04", 4), one);
}

TEST(CodingTest, Fixed64RoundTripAndLittleEndian) {
  std::string s;
  std::vector<uint64_t> values;
  for (int power = 0; power <= 63; power++) {
    const uint64_t v = uint64_t{1} << power;
    values.insert(values.end(), {v - 1, v, v + 1});
  }
  for (const uint64_t v : values) PutFixed64(&s, v);
  std::string_view in = s;
  for (const uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetFixed64(&in, &got));
    ASSERT_EQ(v, got);
  }
  EXPECT_TRUE(in.empty());
  std::string one;
  PutFixed64(&one, 0x0807060504030201ull);
  EXPECT_EQ(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8), one);
}

TEST(CodingTest, Varint32RoundTrip) {
  std::string s;
  for (uint32_t i = 0; i < (32 * 32); i++) PutVarint32(&s, (i / 32) << (i % 32));
  std::string_view in = s;
  for (uint32_t i = 0; i < (32 * 32); i++) {
    const uint32_t expected = (i / 32) << (i % 32);
    const size_t before = in.size();
    uint32_t actual;
    ASSERT_TRUE(GetVarint32(&in, &actual));
    ASSERT_EQ(expected, actual);
    ASSERT_EQ(static_cast<size_t>(VarintLength(actual)), before - in.size());
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint64RoundTripIncludingExtremes) {
  std::vector<uint64_t> values = {0, 100, ~uint64_t{0}, ~uint64_t{0} - 1};
  for (int k = 0; k < 64; k++) {
    const uint64_t power = uint64_t{1} << k;
    values.insert(values.end(), {power, power - 1, power + 1});
  }
  std::string s;
  for (const uint64_t v : values) PutVarint64(&s, v);
  std::string_view in = s;
  for (const uint64_t v : values) {
    uint64_t actual;
    ASSERT_TRUE(GetVarint64(&in, &actual));
    ASSERT_EQ(v, actual);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RejectsOverflow) {
  const std::string input("\x81\x82\x83\x84\x85\x11", 6);
  uint32_t result;
  EXPECT_EQ(nullptr, GetVarint32Ptr(input.data(), input.data() + input.size(), &result));
  // Five bytes whose last one sets bits beyond 32.
  const std::string over("\xff\xff\xff\xff\x1f", 5);
  EXPECT_EQ(nullptr, GetVarint32Ptr(over.data(), over.data() + over.size(), &result));
  const std::string max("\xff\xff\xff\xff\x0f", 5);
  ASSERT_NE(nullptr, GetVarint32Ptr(max.data(), max.data() + max.size(), &result));
  EXPECT_EQ(std::numeric_limits<uint32_t>::max(), result);
}

TEST(CodingTest, Varint64RejectsOverflow) {
  const std::string input("\x81\x82\x83\x84\x85\x81\x82\x83\x84\x85\x11", 11);
  uint64_t result;
  EXPECT_EQ(nullptr, GetVarint64Ptr(input.data(), input.data() + input.size(), &result));
  const std::string over("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
  EXPECT_EQ(nullptr, GetVarint64Ptr(over.data(), over.data() + over.size(), &result));
}

TEST(CodingTest, TruncatedVarintsFailAtEveryLength) {
  std::string s;
  PutVarint32(&s, std::numeric_limits<uint32_t>::max());
  for (size_t len = 0; len < s.size(); len++) {
    uint32_t v;
    EXPECT_EQ(nullptr, GetVarint32Ptr(s.data(), s.data() + len, &v)) << len;
  }
  std::string s64;
  PutVarint64(&s64, std::numeric_limits<uint64_t>::max());
  for (size_t len = 0; len < s64.size(); len++) {
    uint64_t v;
    EXPECT_EQ(nullptr, GetVarint64Ptr(s64.data(), s64.data() + len, &v)) << len;
  }
}

TEST(CodingTest, LengthPrefixedStrings) {
  std::string s;
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, "foo");
  PutLengthPrefixed(&s, "bar");
  PutLengthPrefixed(&s, std::string(200, 'x'));
  std::string_view in = s;
  std::string_view v;
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ("", v);
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ("foo", v);
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ("bar", v);
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(std::string(200, 'x'), v);
  EXPECT_TRUE(in.empty());
  // A length that runs past the end fails and consumes nothing.
  std::string bad;
  PutVarint32(&bad, 10);
  bad.append("abc");
  std::string_view bad_in = bad;
  EXPECT_FALSE(GetLengthPrefixed(&bad_in, &v));
  EXPECT_EQ(bad.size(), bad_in.size());
}

}  // namespace
}  // namespace strata
