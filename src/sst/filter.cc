#include "sst/filter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "util/checksum.h"
#include "util/coding.h"

namespace strata {
namespace {

constexpr std::align_val_t kLineAlignment{kBloomLineBytes};
constexpr uint32_t kBitsPerLine = kBloomLineBytes * 8;

// Maps a 32-bit hash uniformly onto [0, n) without a division.
inline uint32_t FastRange32(uint32_t hash, uint32_t n) {
  return static_cast<uint32_t>((uint64_t{hash} * n) >> 32);
}

struct Probes {
  uint32_t line[2];
  uint32_t h1;
  uint32_t h2;
};

inline Probes ComputeProbes(uint64_t h, uint32_t num_lines) {
  const uint64_t m = BloomMix64(h);
  return Probes{{FastRange32(static_cast<uint32_t>(m), num_lines),
                 FastRange32(static_cast<uint32_t>(m >> 32), num_lines)},
                static_cast<uint32_t>(h),
                static_cast<uint32_t>(h >> 32)};
}

}  // namespace

int BloomNumProbes(int bits_per_key) {
  const long k = std::lround(static_cast<double>(bits_per_key) * 0.69314718055994530942);
  return static_cast<int>(std::clamp<long>(k, 1, kBloomMaxProbes));
}

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(std::max(bits_per_key, 1)), num_probes_(BloomNumProbes(bits_per_key_)) {}

void BloomFilterBuilder::AddKey(std::string_view user_key) {
  const uint64_t h = Hash64(user_key);
  // Versions of one user key arrive together; the hash comparison is a cheap second guard.
  if (!hashes_.empty() && hashes_.back() == h) return;
  hashes_.push_back(h);
}

std::string BloomFilterBuilder::Finish() {
  const uint64_t total_bits = uint64_t{hashes_.size()} * static_cast<uint64_t>(bits_per_key_);
  const uint64_t lines64 = std::max<uint64_t>(1, (total_bits + kBitsPerLine - 1) / kBitsPerLine);
  const auto num_lines = static_cast<uint32_t>(std::min<uint64_t>(lines64, UINT32_MAX));
  std::string out(static_cast<size_t>(num_lines) * kBloomLineBytes, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(out.data());
  for (const uint64_t h : hashes_) {
    const Probes p = ComputeProbes(h, num_lines);
    uint32_t g = p.h1;
    for (int i = 0; i < num_probes_; i++, g += p.h2) {
      const uint32_t bit = BloomBitInLine(g);
      bytes[size_t{p.line[i & 1]} * kBloomLineBytes + bit / 8] |= uint8_t(1u << (bit % 8));
    }
  }
  out.push_back(static_cast<char>(num_probes_));
  PutFixed32(&out, num_lines);
  hashes_.clear();
  return out;
}

void BloomFilterReader::AlignedFree::operator()(char* p) const {
  ::operator delete[](p, kLineAlignment);
}

BloomFilterReader::BloomFilterReader(std::unique_ptr<char[], AlignedFree> lines, uint32_t num_lines,
                                     int num_probes)
    : lines_(std::move(lines)), num_lines_(num_lines), num_probes_(num_probes) {}

std::unique_ptr<BloomFilterReader> BloomFilterReader::Create(std::string_view encoded) {
  if (encoded.size() < kBloomTrailerSize) return nullptr;
  const char* trailer = encoded.data() + encoded.size() - kBloomTrailerSize;
  const int num_probes = static_cast<uint8_t>(trailer[0]);
  const uint32_t num_lines = DecodeFixed32(trailer + 1);
  if (num_probes < 1 || num_probes > kBloomMaxProbes || num_lines == 0) return nullptr;
  const uint64_t bytes = uint64_t{num_lines} * kBloomLineBytes;
  if (bytes != encoded.size() - kBloomTrailerSize) return nullptr;
  std::unique_ptr<char[], AlignedFree> lines(
      static_cast<char*>(::operator new[](static_cast<size_t>(bytes), kLineAlignment)));
  std::memcpy(lines.get(), encoded.data(), static_cast<size_t>(bytes));
  return std::unique_ptr<BloomFilterReader>(
      new BloomFilterReader(std::move(lines), num_lines, num_probes));
}

bool BloomFilterReader::KeyMayMatch(std::string_view user_key) const {
  const Probes p = ComputeProbes(Hash64(user_key), num_lines_);
  const auto* line0 =
      reinterpret_cast<const uint8_t*>(lines_.get()) + size_t{p.line[0]} * kBloomLineBytes;
  const auto* line1 =
      reinterpret_cast<const uint8_t*>(lines_.get()) + size_t{p.line[1]} * kBloomLineBytes;
  __builtin_prefetch(line1);  // line0 is touched first; start fetching line1 now
  uint32_t g = p.h1;
  for (int i = 0; i < num_probes_; i++, g += p.h2) {
    const uint32_t bit = BloomBitInLine(g);
    const uint8_t* line = (i & 1) ? line1 : line0;
    if ((line[bit / 8] & (1u << (bit % 8))) == 0) return false;
  }
  return true;
}

}  // namespace strata
