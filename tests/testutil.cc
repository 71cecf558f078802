#include "testutil.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace strata::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                     "/strata_test_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << tmpl;
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string NumberKey(uint64_t n, int width) {
  std::string digits = std::to_string(n);
  if (static_cast<int>(digits.size()) < width) {
    digits.insert(0, static_cast<size_t>(width) - digits.size(), '0');
  }
  return "key" + digits;
}

std::string RandomBytes(Random* rnd, size_t len) {
  std::string s(len, '\0');
  for (auto& c : s) c = static_cast<char>(rnd->Uniform(256));
  return s;
}

std::string RandomString(Random* rnd, size_t len) {
  std::string s(len, '\0');
  for (auto& c : s) c = static_cast<char>(' ' + rnd->Uniform(95));
  return s;
}

std::string CompressibleString(Random* rnd, double fraction, size_t len) {
  size_t raw = static_cast<size_t>(static_cast<double>(len) * fraction);
  if (raw < 1) raw = 1;
  const std::string piece = RandomString(rnd, raw);
  std::string s;
  while (s.size() < len) s.append(piece);
  s.resize(len);
  return s;
}

double TestScale() {
  const char* v = std::getenv("STRATA_TEST_SCALE");
  if (v == nullptr) return 1.0;
  const double d = std::atof(v);
  return d > 0 ? d : 1.0;
}

size_t OffsetStride() {
  const double scale = TestScale();
  if (scale >= 1.0) return 1;
  return static_cast<size_t>(1.0 / scale) | 1;
}

uint64_t TestSeed() {
  const char* v = std::getenv("STRATA_TEST_SEED");
  if (v == nullptr) return 301;
  return std::strtoull(v, nullptr, 10);
}

}  // namespace strata::test
