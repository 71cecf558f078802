// strata/comparator.h — the total order of user keys.
//
// A Comparator defines the order in which keys are stored and iterated. Its Name() is persisted
// in the MANIFEST and checked on every Open: a store written with one comparator refuses to open
// with another (InvalidArgument), because its files would read back in the wrong order.
//
// Compare(a, b) == 0 must hold only for byte-equal keys: bloom filters hash the bytes of a key,
// so of two keys a comparator calls equal but whose bytes differ, a Get of one may miss the
// other.
//
// Thread safety: implementations must be safe for concurrent calls from many threads.
// Lifetime: a Comparator passed in Options must outlive every DB opened with it.
#pragma once

#include <string>
#include <string_view>

namespace strata {

class Comparator {
 public:
  virtual ~Comparator() = default;

  // Three-way comparison: < 0 iff a < b, 0 iff a == b, > 0 iff a > b.
  virtual int Compare(std::string_view a, std::string_view b) const = 0;

  // The persisted identity of the order. Change it whenever the order changes.
  // Names starting with "strata." are reserved.
  virtual const char* Name() const = 0;

  // Optional space savers used by the index block. If *start < limit, may change *start to a
  // shorter string in [*start, limit). Leaving *start unchanged is always correct.
  virtual void FindShortestSeparator(std::string* start, std::string_view limit) const = 0;

  // May change *key to a shorter string >= *key. Leaving it unchanged is always correct.
  virtual void FindShortSuccessor(std::string* key) const = 0;
};

// Lexicographic order of unsigned bytes (memcmp order). Its name is "strata.BytewiseComparator".
// The returned object lives for the whole process.
const Comparator* BytewiseComparator();

}  // namespace strata
