// Checks an InternalIterator against a model: the sorted entries it must show. Shared by the
// block and table targets for inputs that are well-formed (every entry decodes, keys strictly
// increase), where the iterator has one right answer for every operation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "fuzz_util.h"
#include "iter/internal_iterator.h"
#include "strata/comparator.h"
#include "util/coding.h"
#include "util/random.h"

namespace strata::fuzz {

using KVVector = std::vector<std::pair<std::string, std::string>>;

// A printable prefix of s, for failure messages.
inline std::string Printable(std::string_view s, size_t max = 48) {
  std::string out;
  for (const char c : s.substr(0, max)) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", b);
      out += buf;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// True if the keys of entries strictly increase in cmp's order.
inline bool StrictlyIncreasing(const KVVector& entries, const Comparator* cmp) {
  for (size_t i = 1; i < entries.size(); i++) {
    if (cmp->Compare(entries[i - 1].first, entries[i].first) >= 0) return false;
  }
  return true;
}

// Index of the first entry of model whose key is >= target.
inline size_t LowerBound(const KVVector& model, const Comparator* cmp, std::string_view target) {
  return static_cast<size_t>(std::lower_bound(model.begin(), model.end(), target,
                                              [cmp](const auto& e, std::string_view t) {
                                                return cmp->Compare(e.first, t) < 0;
                                              }) -
                             model.begin());
}

// Seek targets for a block or table: its keys and their neighbours, plus keys made from the
// input's hash. Internal-key targets are always at least 8 bytes (a tag), as the iterators
// require.
inline std::vector<std::string> MakeSeekTargets(const KVVector& entries, bool internal,
                                                uint64_t seed, size_t max_targets = 64) {
  std::vector<std::string> targets;
  Random rnd(seed);
  auto random_tag = [&rnd] {
    std::string tag(8, '\0');
    const uint64_t seq = rnd.OneIn(4) ? kMaxSequenceNumber : rnd.Uniform(64);
    EncodeFixed64(tag.data(), PackSequenceAndType(seq, static_cast<ValueType>(rnd.Uniform(2))));
    return tag;
  };
  for (size_t i = 0; i < max_targets; i++) {
    std::string t;
    if (!entries.empty() && !rnd.OneIn(4)) {
      std::string_view base = entries[rnd.Uniform(entries.size())].first;
      if (internal) base = base.substr(0, base.size() - 8);  // the user key
      t.assign(base);
      switch (rnd.Uniform(4)) {
        case 0:
          t.push_back(static_cast<char>(rnd.Uniform(256)));
          break;
        case 1:
          if (!t.empty()) t.pop_back();
          break;
        case 2:
          if (!t.empty()) t.back() = static_cast<char>(t.back() + 1);
          break;
        default:
          break;
      }
    } else {
      const size_t n = rnd.Uniform(12);
      for (size_t j = 0; j < n; j++) t.push_back(static_cast<char>(rnd.Uniform(256)));
    }
    if (internal) t += random_tag();
    targets.push_back(std::move(t));
  }
  return targets;
}

// Checks `it` against model (sorted by cmp, keys unique): a full scan each way, a Seek to keys of
// the model (every one if there are few) and to each of `targets`, then `random_steps` random
// moves from a generator seeded with `seed`, each compared with the model's answer.
inline void CheckIteratorMatchesModel(InternalIterator* it, const KVVector& model,
                                      const Comparator* cmp,
                                      const std::vector<std::string>& targets, uint64_t seed,
                                      int random_steps) {
  auto expect_at = [&](size_t pos, const char* what) {
    if (pos >= model.size()) {
      FUZZ_CHECK_MSG(!it->Valid(),
                     std::string(what) + ": expected the end, got key " + Printable(it->key()));
      FUZZ_CHECK_MSG(it->status().ok(), std::string(what) + ": " + it->status().ToString());
      return;
    }
    FUZZ_CHECK_MSG(it->Valid(), std::string(what) + ": expected entry " + std::to_string(pos) +
                                    " of " + std::to_string(model.size()) + ", status " +
                                    it->status().ToString());
    FUZZ_CHECK_MSG(it->key() == model[pos].first,
                   std::string(what) + ": at entry " + std::to_string(pos) + " expected key " +
                       Printable(model[pos].first) + ", got " + Printable(it->key()));
    FUZZ_CHECK_MSG(it->value() == model[pos].second,
                   std::string(what) + ": wrong value at entry " + std::to_string(pos));
  };

  it->SeekToFirst();
  for (size_t i = 0; i < model.size(); i++, it->Next()) expect_at(i, "forward scan");
  expect_at(model.size(), "forward scan end");

  it->SeekToLast();
  for (size_t i = model.size(); i-- > 0; it->Prev()) expect_at(i, "backward scan");
  expect_at(model.size(), "backward scan end");

  const size_t stride = std::max<size_t>(1, model.size() / 512);
  for (size_t i = 0; i < model.size(); i += stride) {
    it->Seek(model[i].first);
    expect_at(i, "seek to a key");
  }
  for (const std::string& t : targets) {
    it->Seek(t);
    expect_at(LowerBound(model, cmp, t), "seek to a target");
  }

  Random rnd(seed);
  size_t pos = 0;
  it->SeekToFirst();
  for (int step = 0; step < random_steps; step++) {
    const uint64_t op = rnd.Uniform(10);
    if (op < 3 && !targets.empty()) {
      const std::string& t = targets[rnd.Uniform(targets.size())];
      it->Seek(t);
      pos = LowerBound(model, cmp, t);
    } else if (op < 3 && !model.empty()) {
      pos = rnd.Uniform(model.size());
      it->Seek(model[pos].first);
    } else if (op == 3) {
      it->SeekToFirst();
      pos = 0;
    } else if (op == 4) {
      it->SeekToLast();
      pos = model.empty() ? 0 : model.size() - 1;
    } else if (op < 7) {
      if (pos >= model.size()) continue;
      it->Next();
      pos++;
    } else {
      if (pos >= model.size()) continue;
      it->Prev();
      pos = (pos == 0) ? model.size() : pos - 1;
    }
    expect_at(pos, "random walk");
  }
}

}  // namespace strata::fuzz
