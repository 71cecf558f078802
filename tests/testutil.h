// Shared test helpers: status assertions, key/value generators, temporary directories.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"
#include "util/random.h"

#define ASSERT_OK(expr)                                   \
  do {                                                    \
    const ::strata::Status _s = (expr);                   \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                   \
  do {                                                    \
    const ::strata::Status _s = (expr);                   \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)

namespace strata::test {

// A fresh, empty directory under $TMPDIR (or /tmp), removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// "key000042"-style keys of fixed width: they sort numerically.
std::string NumberKey(uint64_t n, int width = 16);
// A string of len random bytes (any byte value).
std::string RandomBytes(Random* rnd, size_t len);
// A string of len random printable characters.
std::string RandomString(Random* rnd, size_t len);
// A value of len bytes that compresses to about fraction * len.
std::string CompressibleString(Random* rnd, double fraction, size_t len);

// Multiplier for the iteration counts of heavy tests, from STRATA_TEST_SCALE (default 1).
double TestScale();
// Step for tests that try every byte offset: 1 normally; larger (and odd, so that the offsets
// tried still fall at every alignment) when STRATA_TEST_SCALE < 1, as the sanitizer stages set.
size_t OffsetStride();
// A seed for randomized tests: STRATA_TEST_SEED if set, else a fixed default. Printed by the
// tests that use it so a failure can be replayed.
uint64_t TestSeed();

}  // namespace strata::test
