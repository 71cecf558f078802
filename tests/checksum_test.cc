// Checksum32, FindChecksummedPrefix and Hash64 (docs/format.md §2): known answers from the
// xxHash reference, the seed binding, detection of every single-bit flip of a block, and the
// prefix search the WAL reader uses to repair a damaged length field.

#include "util/checksum.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil.h"
#include "wal/log_format.h"

namespace strata {
namespace {

TEST(ChecksumTest, KnownAnswers) {
  // XXH3_64bits("") = 0x2d06800538d394c2 (the xxHash reference value).
  EXPECT_EQ(Hash64(""), 0x2d06800538d394c2ull);
  EXPECT_EQ(Checksum32(""), 0x38d394c2u);
  // The worked example of docs/format.md §3.5: the record type FULL, then "hello".
  EXPECT_EQ(Checksum32(std::string("\x01hello", 6), log::kChecksumSeed), 0x9886a132u);
}

TEST(ChecksumTest, SeedAndContentsMatter) {
  const std::string data = "the same bytes";
  EXPECT_EQ(Checksum32(data, 7), Checksum32(data, 7));
  EXPECT_NE(Checksum32(data, 7), Checksum32(data, 8));
  EXPECT_NE(Checksum32(data), Checksum32(data + "x"));
  EXPECT_NE(Checksum32(data), Checksum32(data.substr(1)));
  // Only the low 32 bits of the 64-bit hash are kept.
  EXPECT_EQ(Checksum32(data), static_cast<uint32_t>(Hash64(data)));
}

TEST(ChecksumTest, EverySingleBitFlipOfABlockIsDetected) {
  Random rnd(test::TestSeed());
  const std::string block = test::RandomBytes(&rnd, 4096);
  const uint32_t good = Checksum32(block, 1234);
  std::string copy = block;
  for (size_t bit = 0; bit < block.size() * 8; bit++) {
    copy[bit / 8] = static_cast<char>(copy[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_NE(Checksum32(copy, 1234), good) << "bit " << bit;
    copy[bit / 8] = block[bit / 8];
  }
  // Zeroing or truncating the tail is detected too.
  for (size_t len = 0; len < block.size(); len += 97) {
    ASSERT_NE(Checksum32(std::string_view(block).substr(0, len), 1234), good) << len;
    std::string zeroed = block;
    zeroed.replace(len, std::string::npos, block.size() - len, '\0');
    ASSERT_NE(Checksum32(zeroed, 1234), good) << len;
  }
}

TEST(ChecksumTest, FindChecksummedPrefix) {
  Random rnd(test::TestSeed() + 1);
  const std::string data = test::RandomBytes(&rnd, 5000);
  const uint64_t seed = 99;
  const std::vector<size_t> sizes = {0, 1, 17, 300, 1024, 4999, 5000};
  for (const size_t want : sizes) {
    const uint32_t checksum = Checksum32(std::string_view(data).substr(0, want), seed);
    EXPECT_EQ(FindChecksummedPrefix(data, seed, checksum, sizes), want) << want;
  }
  // No prefix has the checksum (another seed): data.size() + 1.
  const uint32_t other = Checksum32(std::string_view(data).substr(0, 300), seed + 1);
  EXPECT_EQ(FindChecksummedPrefix(data, seed, other, sizes), data.size() + 1);
  // Sizes beyond the data, or not ascending, end the search.
  const uint32_t whole = Checksum32(data, seed);
  const std::vector<size_t> too_long = {10, data.size() + 1, data.size()};
  EXPECT_EQ(FindChecksummedPrefix(data, seed, whole, too_long), data.size() + 1);
  const std::vector<size_t> descending = {3000, 20, data.size()};
  EXPECT_EQ(FindChecksummedPrefix(data, seed, whole, descending), data.size() + 1);
  EXPECT_EQ(FindChecksummedPrefix(data, seed, whole, {}), data.size() + 1);
}

}  // namespace
}  // namespace strata
