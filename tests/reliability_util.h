// Helpers shared by the DB-level reliability tests (power loss, fault injection, corruption,
// WAL recovery): a history of writes that can replay any prefix, a search for the prefix a
// recovered DB holds, and reads of a whole DB.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "strata/db.h"
#include "testutil.h"

namespace strata::test {

using KV = std::map<std::string, std::string>;

// One acknowledged unit of writing: a Put, a Delete or a WriteBatch (applied atomically).
struct WriteOp {
  std::vector<std::pair<std::string, std::optional<std::string>>> entries;  // nullopt: delete

  void ApplyTo(KV* kv) const {
    for (const auto& [key, value] : entries) {
      if (value.has_value()) {
        (*kv)[key] = *value;
      } else {
        kv->erase(key);
      }
    }
  }
  WriteBatch ToBatch() const {
    WriteBatch batch;
    for (const auto& [key, value] : entries) {
      if (value.has_value()) {
        batch.Put(key, *value);
      } else {
        batch.Delete(key);
      }
    }
    return batch;
  }
};

// The writes of a run, in the order they were acknowledged (one writer thread).
class History {
 public:
  void Add(WriteOp op) { ops_.push_back(std::move(op)); }
  size_t size() const { return ops_.size(); }
  const WriteOp& op(size_t i) const { return ops_[i]; }

  // The DB state after the first p writes.
  KV State(size_t p) const {
    KV kv;
    for (size_t i = 0; i < p && i < ops_.size(); i++) ops_[i].ApplyTo(&kv);
    return kv;
  }

  // The smallest p in [lo, hi] such that State(p) == got, if any. Linear in the history plus the
  // keys touched by the writes in [lo, hi).
  std::optional<size_t> FindPrefix(const KV& got, size_t lo, size_t hi) const {
    hi = std::min(hi, ops_.size());
    if (lo > hi) return std::nullopt;
    KV state = State(lo);
    // Keys whose value differs between state and got.
    std::set<std::string> diff;
    for (const auto& [k, v] : state) {
      auto it = got.find(k);
      if (it == got.end() || it->second != v) diff.insert(k);
    }
    for (const auto& [k, v] : got) {
      if (state.find(k) == state.end()) diff.insert(k);
    }
    for (size_t p = lo;; p++) {
      if (diff.empty()) return p;
      if (p == hi) return std::nullopt;
      ops_[p].ApplyTo(&state);
      for (const auto& entry : ops_[p].entries) {
        const std::string& k = entry.first;
        auto s = state.find(k);
        auto g = got.find(k);
        const bool same = (s == state.end() && g == got.end()) ||
                          (s != state.end() && g != got.end() && s->second == g->second);
        if (same) {
          diff.erase(k);
        } else {
          diff.insert(k);
        }
      }
    }
  }

 private:
  std::vector<WriteOp> ops_;
};

// Reads the whole DB with a forward scan. A non-ok iterator status is returned.
inline Status ScanAll(DB* db, KV* out, const ReadOptions& ro = ReadOptions()) {
  out->clear();
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  std::string last;
  bool first = true;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key(it->key());
    if (!first && key <= last) {
      return Status::Corruption("scan returned key " + key + " after " + last);
    }
    first = false;
    last = key;
    (*out)[key] = std::string(it->value());
  }
  return it->status();
}

// Checks every key of `expected` and every key in `absent_keys` with Get; returns a description
// of the first mismatch, or "" if all agree. Any non-ok status other than NotFound counts as a
// mismatch too.
inline std::string CheckGets(DB* db, const KV& expected, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    std::string value;
    const Status s = db->Get(ReadOptions(), key, &value);
    auto it = expected.find(key);
    if (it == expected.end()) {
      if (!s.IsNotFound()) return "Get(" + key + ") of an absent key: " + s.ToString();
    } else if (!s.ok()) {
      return "Get(" + key + "): " + s.ToString();
    } else if (value != it->second) {
      return "Get(" + key + ") returned a wrong value";
    }
  }
  return "";
}

// A short description of how two states differ, for failure messages.
inline std::string DescribeDiff(const KV& want, const KV& got) {
  std::string out;
  int shown = 0;
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      out += " missing:" + k;
    } else if (it->second != v) {
      out += " wrong:" + k;
    } else {
      continue;
    }
    if (++shown >= 5) return out + " ...";
  }
  for (const auto& [k, v] : got) {
    if (want.find(k) == want.end()) {
      out += " extra:" + k;
      if (++shown >= 5) return out + " ...";
    }
  }
  return out;
}

// Options that make a small workload flush and compact often.
inline Options SmallDBOptions(std::shared_ptr<FileSystem> fs) {
  Options options;
  options.create_if_missing = true;
  options.file_system = std::move(fs);
  options.write_buffer_size = 8 * 1024;
  options.max_write_buffer_number = 3;
  options.block_size = 512;
  options.block_cache_size = 64 * 1024;
  options.target_file_size_base = 8 * 1024;
  options.max_bytes_for_level_base = 32 * 1024;
  options.max_bytes_for_level_multiplier = 4;
  options.level0_file_num_compaction_trigger = 2;
  options.level0_slowdown_writes_trigger = 8;
  options.level0_stop_writes_trigger = 12;
  return options;
}

}  // namespace strata::test
