// Checksums of persisted bytes (docs/format.md "Checksums").
//
// strata uses XXH3 (64-bit) truncated to its low 32 bits, computed with a seed that binds the
// checksummed bytes to their record or block type. The checksum type is recorded in every SST
// footer and MANIFEST/WAL format so that another algorithm can be added without ambiguity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace strata {

enum class ChecksumType : uint8_t {
  kXXH3 = 1,  // low 32 bits of XXH3_64bits_withSeed(data, seed)
};

uint32_t Checksum32(std::string_view data, uint64_t seed = 0);

// The first of `sizes` (ascending, each at most data.size()) such that the prefix of data of
// that size has Checksum32 `checksum` with seed; data.size() + 1 if none has. One pass over
// data: used to find where a record whose length field was damaged really ends.
size_t FindChecksummedPrefix(std::string_view data, uint64_t seed, uint32_t checksum,
                             std::span<const size_t> sizes);

// 64-bit hash for in-memory use (bloom filters, cache sharding). Stable across runs and
// platforms, so bloom filters built from it may be persisted.
uint64_t Hash64(std::string_view data);

}  // namespace strata
