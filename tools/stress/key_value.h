// Keys and self-describing values of strata_stress.
//
// Key i is "k" + 10 decimal digits of i + "." + a suffix of 0..23 characters derived from i.
// The fixed-width number makes the byte order of keys the numeric order of their indexes (the
// suffix only follows a unique prefix), so a key range is an index range; the suffix varies key
// lengths so that prefix compression and key-length handling are exercised.
//
// A value names the key and the version it was written for and carries padding derived from
// both:   <key> "|" <version: 16 hex> "|" <padding length: 8 hex> "|" <padding>
// so any value read can be checked on its own: a value of another key, of a version never
// written, truncated, or with a flipped byte is detected without consulting the oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::stress {

// Key indexes must stay below this (10 decimal digits).
inline constexpr uint64_t kMaxKeys = 10'000'000'000ULL;

std::string KeyFor(uint64_t index);
// A string that sorts after every key of indexes < index and at or before the key of index.
std::string KeyLowerBound(uint64_t index);
// Parses a key of the stress key space; false for anything else (malformed or wrong suffix).
bool ParseKey(std::string_view key, uint64_t* index);

// A value of about `size` bytes (never less than the header) for key `index` at `version`.
std::string MakeValue(uint64_t index, uint64_t version, size_t size);
// Checks that value is a well-formed value of key `index`. On success sets *version; on failure
// sets *why to what is wrong with it.
bool ParseValue(uint64_t index, std::string_view value, uint64_t* version, std::string* why);

// bytes with non-printable characters escaped (\xNN), cut to about max characters.
std::string Printable(std::string_view bytes, size_t max = 120);

}  // namespace strata::stress
