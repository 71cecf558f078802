// A bloom filter over the user keys of one table ("full filter"; docs/format.md (Part III) "Filter
// block"). Get() asks it before reading any block: a "no" is certain, a "maybe" is wrong with a
// probability of about 0.84% at 10 bits per key.
//
//   bloom_filter := lines: num_lines * 64 bytes | num_probes: uint8 | num_lines: fixed32
//
// Probes stay within two 64-byte lines per key, so a lookup costs at most two cache misses (and
// both addresses are known up front, so they overlap). For a key with h = Hash64(user_key),
// h1 = low 32 bits of h, h2 = high 32 bits, and m = BloomMix64(h):
//   line[0] = (low 32 bits of m  * num_lines) >> 32
//   line[1] = (high 32 bits of m * num_lines) >> 32
//   probe i (0 <= i < num_probes) tests bit BloomBitInLine(h1 + i * h2) of line[i mod 2]
// (32-bit arithmetic), where bit b of a line is bit (b mod 8) of its byte b / 8.
//
// Why this shape: one 64-byte line per key would cost ~17% more false positives than an
// unblocked filter at 10 bits per key; two independently chosen lines cost ~2.5%. Plain double
// hashing projected onto a 512-bit line makes keys with similar strides share most of their
// bits (+7% at 10 bits per key, x2.7 at 20); the xor-shift-multiply in BloomBitInLine breaks
// that linearity and brings the rate back to what two random lines allow.
//
// Thread safety: a BloomFilterReader is immutable; a builder is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

inline constexpr size_t kBloomLineBytes = 64;
inline constexpr size_t kBloomTrailerSize = 5;  // num_probes + num_lines
inline constexpr int kBloomMaxProbes = 30;

// The finalizer of the splitmix64 generator: a bijection whose output bits all depend on all
// input bits. Picks the lines from bits independent of the in-line probe positions.
inline uint64_t BloomMix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The bit of a line that the double-hashing value g selects.
inline uint32_t BloomBitInLine(uint32_t g) {
  g ^= g >> 16;
  g *= 0x7feb352du;
  return g >> 23;
}

// Number of probes for bits_per_key: round(bits_per_key * ln 2) clamped to [1, 30].
int BloomNumProbes(int bits_per_key);

class BloomFilterBuilder {
 public:
  // REQUIRES: bits_per_key >= 1.
  explicit BloomFilterBuilder(int bits_per_key);

  // Adds a user key. Callers add each distinct key once; a key equal to the one added just before
  // is ignored.
  void AddKey(std::string_view user_key);
  size_t num_keys() const { return hashes_.size(); }

  // The encoded filter of every key added (an empty filter if none). Clears the builder.
  std::string Finish();

 private:
  int bits_per_key_;
  int num_probes_;
  std::vector<uint64_t> hashes_;
};

class BloomFilterReader {
 public:
  // Parses an encoded filter. Returns null if it is malformed: a bad probe count, or a size that
  // does not match its line count.
  static std::unique_ptr<BloomFilterReader> Create(std::string_view encoded);

  // False only if user_key was certainly not added.
  bool KeyMayMatch(std::string_view user_key) const;
  int num_probes() const { return num_probes_; }
  uint32_t num_lines() const { return num_lines_; }
  // Bytes of filter data held.
  size_t size() const { return static_cast<size_t>(num_lines_) * kBloomLineBytes; }

 private:
  // Lines are copied into cache-line-aligned memory so that each line is one cache line.
  struct AlignedFree {
    void operator()(char* p) const;
  };
  BloomFilterReader(std::unique_ptr<char[], AlignedFree> lines, uint32_t num_lines, int num_probes);

  std::unique_ptr<char[], AlignedFree> lines_;
  uint32_t num_lines_;
  int num_probes_;
};

}  // namespace strata
