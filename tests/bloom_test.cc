#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "sst/filter.h"
#include "sst/table.h"
#include "sst/table_builder.h"
#include "sst_test_util.h"
#include "testutil.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace strata {
namespace {

std::string Key(uint64_t i) {
  std::string k;
  PutFixed64(&k, i);
  return k;
}

// The standard bloom filter estimate for n keys in m bits with k probes.
double TheoreticalFpRate(double n, double m, int k) {
  return std::pow(1.0 - std::exp(-k * n / m), k);
}

TEST(BloomTest, NumProbesIsRoundedBitsTimesLn2Clamped) {
  EXPECT_EQ(1, BloomNumProbes(0));
  EXPECT_EQ(1, BloomNumProbes(1));
  EXPECT_EQ(1, BloomNumProbes(2));  // 1.39
  EXPECT_EQ(2, BloomNumProbes(3));  // 2.08
  EXPECT_EQ(7, BloomNumProbes(10));
  EXPECT_EQ(11, BloomNumProbes(16));
  EXPECT_EQ(30, BloomNumProbes(44));  // 30.5 rounds to 31, clamped to 30
  EXPECT_EQ(30, BloomNumProbes(1000));
}

TEST(BloomTest, EmptyFilterMatchesNothing) {
  BloomFilterBuilder builder(10);
  const std::string encoded = builder.Finish();
  EXPECT_EQ(kBloomLineBytes + kBloomTrailerSize, encoded.size());
  auto reader = BloomFilterReader::Create(encoded);
  ASSERT_NE(nullptr, reader);
  EXPECT_FALSE(reader->KeyMayMatch("hello"));
  EXPECT_FALSE(reader->KeyMayMatch(""));
}

TEST(BloomTest, SmallFilters) {
  for (int n : {1, 2, 3, 10, 50, 100}) {
    BloomFilterBuilder builder(10);
    for (int i = 0; i < n; i++) builder.AddKey(Key(i));
    auto reader = BloomFilterReader::Create(builder.Finish());
    ASSERT_NE(nullptr, reader);
    for (int i = 0; i < n; i++) ASSERT_TRUE(reader->KeyMayMatch(Key(i))) << n << " " << i;
  }
}

TEST(BloomTest, ConsecutiveDuplicatesAreAddedOnce) {
  BloomFilterBuilder builder(10);
  builder.AddKey("a");
  builder.AddKey("a");
  builder.AddKey("b");
  builder.AddKey("b");
  builder.AddKey("a");  // not adjacent: the table builder never does this, but it is harmless
  EXPECT_EQ(3u, builder.num_keys());
}

TEST(BloomTest, EncodingFollowsTheSpec) {
  // Recomputes every probe with the formula of docs/format.md (Part III) and checks the bit is set and
  // that nothing else is.
  BloomFilterBuilder builder(10);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; i++) keys.push_back("spec-key-" + std::to_string(i));
  for (const auto& k : keys) builder.AddKey(k);
  const std::string encoded = builder.Finish();
  const size_t n = encoded.size();
  const int num_probes = static_cast<uint8_t>(encoded[n - 5]);
  const uint32_t num_lines = DecodeFixed32(encoded.data() + n - 4);
  EXPECT_EQ(7, num_probes);
  EXPECT_EQ((300u * 10 + 511) / 512, num_lines);
  ASSERT_EQ(n, num_lines * 64u + 5);
  std::string expected(num_lines * 64u, '\0');
  for (const auto& k : keys) {
    const uint64_t h = Hash64(k);
    const uint64_t m = BloomMix64(h);
    const uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
    const uint32_t line[2] = {
        static_cast<uint32_t>((uint64_t{static_cast<uint32_t>(m)} * num_lines) >> 32),
        static_cast<uint32_t>(((m >> 32) * num_lines) >> 32)};
    for (int i = 0; i < num_probes; i++) {
      uint32_t g = h1 + static_cast<uint32_t>(i) * h2;
      g ^= g >> 16;
      g *= 0x7feb352du;
      const uint32_t bit = g >> 23;
      expected[line[i % 2] * 64 + bit / 8] |= static_cast<char>(1 << (bit % 8));
    }
  }
  EXPECT_EQ(expected, encoded.substr(0, n - 5));
}

struct FpResult {
  double measured;
  double theoretical;
};

FpResult MeasureFpRate(int bits_per_key, uint64_t n, uint64_t queries) {
  BloomFilterBuilder builder(bits_per_key);
  for (uint64_t i = 0; i < n; i++) builder.AddKey(Key(i));
  auto reader = BloomFilterReader::Create(builder.Finish());
  EXPECT_NE(nullptr, reader);
  if (reader == nullptr) return {1, 0};
  for (uint64_t i = 0; i < n; i++) {
    if (!reader->KeyMayMatch(Key(i))) {
      ADD_FAILURE() << "false negative for key " << i << " of " << n;
      break;
    }
  }
  uint64_t hits = 0;
  for (uint64_t i = 0; i < queries; i++) hits += reader->KeyMayMatch(Key(n + 1000000000 + i));
  const double m = static_cast<double>(reader->num_lines()) * kBloomLineBytes * 8;
  return {static_cast<double>(hits) / static_cast<double>(queries),
          TheoreticalFpRate(static_cast<double>(n), m, reader->num_probes())};
}

TEST(BloomTest, FalsePositiveRateNearTheoryAt10BitsPerKey) {
  for (const uint64_t n : {10000u, 100000u, 1000000u}) {
    const FpResult r = MeasureFpRate(10, n, 1000000);
    std::printf("bits/key 10, %7llu keys: false positives %.4f%% (theory %.4f%%)\n",
                static_cast<unsigned long long>(n), 100 * r.measured, 100 * r.theoretical);
    EXPECT_LE(r.measured, 2 * r.theoretical) << n;
    EXPECT_GE(r.measured, r.theoretical / 2) << n;
    EXPECT_LT(r.measured, 0.0105) << n;  // the ~0.84% the filter is designed for, with slack
  }
}

TEST(BloomTest, FalsePositiveRateNearTheoryAtOtherDensities) {
  for (const int bits : {4, 6, 16, 20}) {
    const FpResult r = MeasureFpRate(bits, 50000, bits >= 16 ? 4000000 : 400000);
    std::printf("bits/key %2d,   50000 keys: false positives %.4f%% (theory %.4f%%)\n", bits,
                100 * r.measured, 100 * r.theoretical);
    EXPECT_LE(r.measured, 2 * r.theoretical) << bits;
    EXPECT_GE(r.measured, r.theoretical / 2) << bits;
  }
}

TEST(BloomTest, RejectsMalformedEncodings) {
  BloomFilterBuilder builder(10);
  for (int i = 0; i < 100; i++) builder.AddKey(Key(i));
  const std::string good = builder.Finish();
  ASSERT_NE(nullptr, BloomFilterReader::Create(good));

  auto with_trailer = [&](int probes, uint32_t lines) {
    std::string s = good.substr(0, good.size() - kBloomTrailerSize);
    s.push_back(static_cast<char>(probes));
    PutFixed32(&s, lines);
    return s;
  };
  const uint32_t lines = DecodeFixed32(good.data() + good.size() - 4);
  EXPECT_EQ(nullptr, BloomFilterReader::Create(""));
  EXPECT_EQ(nullptr, BloomFilterReader::Create("abcd"));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(with_trailer(0, lines)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(with_trailer(31, lines)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(with_trailer(255, lines)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(with_trailer(7, 0)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(with_trailer(7, lines + 1)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(with_trailer(7, lines - 1)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(with_trailer(7, 0xffffffffu)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(good.substr(1)));
  EXPECT_EQ(nullptr, BloomFilterReader::Create(good + "x"));
  // Any other probe count in range is usable, and damaged bits are only wrong answers.
  auto few = BloomFilterReader::Create(with_trailer(30, lines));
  ASSERT_NE(nullptr, few);
  EXPECT_EQ(30, few->num_probes());
  std::string flipped = good;
  for (size_t i = 0; i + kBloomTrailerSize < flipped.size(); i++) flipped[i] = ~flipped[i];
  auto inverted = BloomFilterReader::Create(flipped);
  ASSERT_NE(nullptr, inverted);
  int matches = 0;
  for (int i = 0; i < 100; i++) matches += inverted->KeyMayMatch(Key(i));
  EXPECT_LT(matches, 100);
}

// At the table level: bits_per_key 0 writes no filter block; a positive value does, and the
// filter keeps lookups of absent keys away from the data blocks.
TEST(BloomTest, TableWithAndWithoutFilter) {
  InternalKeyComparator icmp(BytewiseComparator());
  for (const int bits : {0, 10}) {
    TableOptions options;
    options.comparator = &icmp;
    options.bloom_bits_per_key = bits;
    options.block_size = 256;
    test::StringSink sink;
    TableBuilder builder(options, &sink);
    for (int i = 0; i < 1000; i++) {
      builder.Add(test::IKey(test::NumberKey(2 * i), 1, kTypeValue), "value");
    }
    ASSERT_OK(builder.Finish());
    auto source = std::make_unique<test::StringSource>(sink.contents());
    const test::StringSource* src = source.get();
    std::shared_ptr<Table> table;
    ASSERT_OK(Table::Open(options, std::move(source), sink.contents().size(), "t.sst", &table));
    if (bits == 0) {
      EXPECT_EQ(0u, table->properties().filter_bytes);
    } else {
      EXPECT_EQ(((1000u * 10 + 511) / 512) * 64 + kBloomTrailerSize + kBlockTrailerSize,
                table->properties().filter_bytes);
    }
    const uint64_t reads_before = src->reads();
    for (int i = 0; i < 1000; i++) {
      LookupKey lk(test::NumberKey(2 * i + 1), 100);
      Table::GetState state;
      std::string value;
      ASSERT_OK(table->Get(ReadOptions(), lk, &state, &value));
      EXPECT_EQ(Table::GetState::kNotPresent, state);
    }
    const uint64_t reads = src->reads() - reads_before;
    if (bits == 0) {
      EXPECT_EQ(1000u, reads);
    } else {
      EXPECT_LT(reads, 50u);
    }
  }
}

}  // namespace
}  // namespace strata
