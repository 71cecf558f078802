#include "stress/key_value.h"

#include <cstdio>

#include "stress/random.h"

namespace strata::stress {
namespace {

constexpr size_t kNumberDigits = 10;
constexpr size_t kMaxSuffix = 24;
constexpr size_t kVersionDigits = 16;
constexpr size_t kLengthDigits = 8;

std::string SuffixFor(uint64_t index) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t h = Mix64(index ^ 0x6b65795f73756678ULL);
  const size_t len = h % kMaxSuffix;
  std::string suffix;
  suffix.reserve(len);
  for (size_t i = 0; i < len; i++) {
    h = Mix64(h);
    suffix.push_back(kAlphabet[h % (sizeof(kAlphabet) - 1)]);
  }
  return suffix;
}

void AppendHex(std::string* out, uint64_t v, size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = digits; i-- > 0;) out->push_back(kHex[(v >> (4 * i)) & 0xf]);
}

bool ParseHex(std::string_view s, uint64_t* v) {
  uint64_t r = 0;
  for (const char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    r = (r << 4) | static_cast<uint64_t>(d);
  }
  *v = r;
  return true;
}

// Padding bytes cover the whole byte range so that values are not just printable text.
void AppendPadding(std::string* out, uint64_t index, uint64_t version, size_t len) {
  uint64_t h = Mix64(index * 0x9e3779b97f4a7c15ULL ^ Mix64(version));
  for (size_t i = 0; i < len; i++) {
    if (i % 8 == 0) h = Mix64(h + i);
    out->push_back(static_cast<char>((h >> (8 * (i % 8))) & 0xff));
  }
}

size_t HeaderSize(size_t key_size) { return key_size + 3 + kVersionDigits + kLengthDigits; }

}  // namespace

std::string KeyLowerBound(uint64_t index) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%010llu", static_cast<unsigned long long>(index));
  return buf;
}

std::string KeyFor(uint64_t index) { return KeyLowerBound(index) + "." + SuffixFor(index); }

bool ParseKey(std::string_view key, uint64_t* index) {
  if (key.size() < kNumberDigits + 2 || key[0] != 'k' || key[kNumberDigits + 1] != '.') {
    return false;
  }
  uint64_t n = 0;
  for (size_t i = 1; i <= kNumberDigits; i++) {
    if (key[i] < '0' || key[i] > '9') return false;
    n = n * 10 + static_cast<uint64_t>(key[i] - '0');
  }
  if (key.substr(kNumberDigits + 2) != SuffixFor(n)) return false;
  *index = n;
  return true;
}

std::string MakeValue(uint64_t index, uint64_t version, size_t size) {
  const std::string key = KeyFor(index);
  const size_t header = HeaderSize(key.size());
  const size_t padding = size > header ? size - header : 0;
  std::string v;
  v.reserve(header + padding);
  v.append(key);
  v.push_back('|');
  AppendHex(&v, version, kVersionDigits);
  v.push_back('|');
  AppendHex(&v, padding, kLengthDigits);
  v.push_back('|');
  AppendPadding(&v, index, version, padding);
  return v;
}

bool ParseValue(uint64_t index, std::string_view value, uint64_t* version, std::string* why) {
  const std::string key = KeyFor(index);
  const size_t header = HeaderSize(key.size());
  if (value.size() < header) {
    *why = "value shorter than its header (" + std::to_string(value.size()) + " bytes)";
    return false;
  }
  if (value.substr(0, key.size()) != key || value[key.size()] != '|') {
    *why = "value does not belong to this key";
    return false;
  }
  const size_t vpos = key.size() + 1;
  const size_t lpos = vpos + kVersionDigits + 1;
  uint64_t ver = 0, padding = 0;
  if (!ParseHex(value.substr(vpos, kVersionDigits), &ver) || value[lpos - 1] != '|' ||
      !ParseHex(value.substr(lpos, kLengthDigits), &padding) || value[header - 1] != '|') {
    *why = "malformed value header";
    return false;
  }
  if (ver == 0) {
    *why = "value carries version 0, which is never written";
    return false;
  }
  if (value.size() - header != padding) {
    *why = "padding length " + std::to_string(value.size() - header) + ", header says " +
           std::to_string(padding);
    return false;
  }
  std::string expected;
  AppendPadding(&expected, index, ver, padding);
  if (value.substr(header) != expected) {
    size_t at = 0;
    while (value[header + at] == expected[at]) at++;
    *why = "padding differs from what version " + std::to_string(ver) + " wrote, at byte " +
           std::to_string(header + at);
    return false;
  }
  *version = ver;
  return true;
}

std::string Printable(std::string_view bytes, size_t max) {
  std::string out;
  for (const char c : bytes) {
    if (out.size() >= max) {
      out += "...(" + std::to_string(bytes.size()) + " bytes)";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

}  // namespace strata::stress
