// Fast three-way comparison of byte strings in memcmp order, for the hot paths that compare
// short keys (memtable, blocks, internal keys): eight bytes at a time, inline, no library call.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace strata {

inline int BytewiseCompare(std::string_view a, std::string_view b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  const char* pa = a.data();
  const char* pb = b.data();
  while (n >= 8) {
    uint64_t x, y;
    std::memcpy(&x, pa, 8);
    std::memcpy(&y, pb, 8);
    if (x != y) {
      // Byte-swapped to big-endian, the first differing byte decides as in memcmp.
      return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
    pa += 8;
    pb += 8;
    n -= 8;
  }
  for (; n > 0; n--, pa++, pb++) {
    if (*pa != *pb) return static_cast<uint8_t>(*pa) < static_cast<uint8_t>(*pb) ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace strata
