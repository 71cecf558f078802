// bloom_fuzzer: BloomFilterReader::Create (sst/filter.h), which parses the filter block of an
// SST, and the builder/reader pair.
//
// Input: mode | rest.
//   mode bit 0 set: rest is an encoded filter. Create accepts exactly what the spec allows
//     (1 <= num_probes <= 30, num_lines >= 1, size = 64 * num_lines + 5); an accepted filter
//     answers KeyMayMatch deterministically, and "yes" for every key when all its bits are set.
//   mode bit 0 clear: rest is a list of keys (each a length byte and that many bytes), built into
//     a filter with bits_per_key = 1 + (mode >> 1) % 32. The filter has the size the spec gives,
//     parses, and admits every key added (no false negatives).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "sst/filter.h"
#include "util/coding.h"

namespace strata::fuzz {

inline void RunBloomTarget(std::string_view input) {
  ByteReader in(input);
  const uint8_t mode = in.U8();
  if (mode & 1) {
    const std::string_view encoded = in.Rest();
    const std::unique_ptr<BloomFilterReader> reader = BloomFilterReader::Create(encoded);
    bool valid = encoded.size() >= kBloomTrailerSize;
    uint32_t num_lines = 0;
    int num_probes = 0;
    if (valid) {
      const char* trailer = encoded.data() + encoded.size() - kBloomTrailerSize;
      num_probes = static_cast<uint8_t>(trailer[0]);
      num_lines = DecodeFixed32(trailer + 1);
      valid = num_probes >= 1 && num_probes <= kBloomMaxProbes && num_lines >= 1 &&
              uint64_t{num_lines} * kBloomLineBytes == encoded.size() - kBloomTrailerSize;
    }
    FUZZ_CHECK_MSG((reader != nullptr) == valid, "Create disagrees with the spec");
    if (reader == nullptr) return;
    FUZZ_CHECK(reader->num_lines() == num_lines && reader->num_probes() == num_probes);
    FUZZ_CHECK(reader->size() == encoded.size() - kBloomTrailerSize);
    const bool all_set = std::all_of(encoded.begin(), encoded.end() - kBloomTrailerSize,
                                     [](char c) { return c == '\xff'; });
    for (int i = 0; i < 64; i++) {
      const std::string key = "key" + std::to_string(i);
      const bool match = reader->KeyMayMatch(key);
      FUZZ_CHECK(match == reader->KeyMayMatch(key));
      if (all_set) FUZZ_CHECK(match);
    }
    return;
  }

  const int bits_per_key = 1 + (mode >> 1) % 32;
  std::vector<std::string> keys;
  while (!in.empty()) keys.emplace_back(in.Bytes(in.U8()));
  BloomFilterBuilder builder(bits_per_key);
  for (const std::string& k : keys) builder.AddKey(k);
  const std::string encoded = builder.Finish();
  FUZZ_CHECK(builder.num_keys() == 0);  // Finish clears the builder

  // Size per the spec, counting the keys the builder kept (it skips a key equal to the previous).
  size_t distinct = 0;
  for (size_t i = 0; i < keys.size(); i++) distinct += (i == 0 || keys[i] != keys[i - 1]);
  const uint64_t bits = uint64_t{distinct} * static_cast<uint64_t>(bits_per_key);
  const uint64_t lines = std::max<uint64_t>(1, (bits + 511) / 512);
  FUZZ_CHECK_MSG(encoded.size() == lines * kBloomLineBytes + kBloomTrailerSize,
                 std::to_string(encoded.size()) + " bytes for " + std::to_string(distinct) +
                     " keys at " + std::to_string(bits_per_key) + " bits per key");
  const std::unique_ptr<BloomFilterReader> reader = BloomFilterReader::Create(encoded);
  FUZZ_CHECK(reader != nullptr);
  FUZZ_CHECK(reader->num_probes() == BloomNumProbes(bits_per_key));
  for (const std::string& k : keys) FUZZ_CHECK_MSG(reader->KeyMayMatch(k), "false negative");
}

}  // namespace strata::fuzz
