#include "util/checksum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace strata {

uint32_t Checksum32(std::string_view data, uint64_t seed) {
  return static_cast<uint32_t>(XXH3_64bits_withSeed(data.data(), data.size(), seed));
}

size_t FindChecksummedPrefix(std::string_view data, uint64_t seed, uint32_t checksum,
                             std::span<const size_t> sizes) {
  // The streaming digest of n bytes equals the one-shot hash of those n bytes, and taking it
  // leaves the state as it was: one pass covers every prefix.
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset_withSeed(&state, seed);
  size_t hashed = 0;
  for (const size_t size : sizes) {
    if (size < hashed || size > data.size()) break;
    XXH3_64bits_update(&state, data.data() + hashed, size - hashed);
    hashed = size;
    if (static_cast<uint32_t>(XXH3_64bits_digest(&state)) == checksum) return size;
  }
  return data.size() + 1;
}

uint64_t Hash64(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

}  // namespace strata
