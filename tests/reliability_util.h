// Helpers shared by the DB-level reliability tests (power loss, fault injection, corruption,
// WAL recovery): a history of writes that can replay any prefix, a search for the prefix a
// recovered DB holds, and reads of a whole DB.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/filename.h"
#include "fs/mem_fs.h"
#include "hook_fs.h"
#include "strata/db.h"
#include "testutil.h"
#include "wal/log_reader.h"

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

// ---- Files of a DB on a file system ------------------------------------------------------------

// Numbers of the DB's files of one type, ascending.
inline std::vector<uint64_t> FileNumbers(FileSystem* fs, const std::string& dbname, FileType type) {
  std::vector<std::string> children;
  EXPECT_OK(fs->GetChildren(dbname, &children));
  std::vector<uint64_t> numbers;
  for (const std::string& name : children) {
    uint64_t number;
    FileType t;
    if (ParseFileName(name, &number, &t) && t == type) numbers.push_back(number);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

inline std::string ReadWholeFile(FileSystem* fs, const std::string& path) {
  std::string data;
  EXPECT_OK(ReadFileToString(fs, path, &data));
  return data;
}

// Replaces the file's contents (durably: the file system is used as a disk image).
inline void WriteWholeFile(FileSystem* fs, const std::string& path, std::string_view data) {
  EXPECT_OK(WriteStringToFile(fs, data, path, /*sync=*/true));
}

// The [start, end) file offsets of the logical records of a log file (WAL or MANIFEST) after its
// header record, as its reader finds them. A record's start is the previous record's end (for
// the first, the end of the header record).
inline std::vector<std::pair<uint64_t, uint64_t>> LogRecordRanges(FileSystem* fs,
                                                                  const std::string& path,
                                                                  log::LogKind kind,
                                                                  uint64_t number) {
  std::unique_ptr<SequentialFile> file;
  EXPECT_OK(fs->NewSequentialFile(path, &file));
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  if (file == nullptr) return ranges;
  log::Reader reader(file.get(), path, kind, number);
  std::string scratch;
  std::string_view record;
  uint64_t start = 0;
  bool first = true;
  while (reader.ReadRecord(&record, &scratch)) {
    if (first) start = 28;  // the end of the header record
    first = false;
    ranges.emplace_back(start, reader.LastRecordEndOffset());
    start = reader.LastRecordEndOffset();
  }
  EXPECT_OK(reader.status());
  return ranges;
}

// A durable DB state for recovery tests, on its own MemFileSystem: earlier writes in SSTs on a
// few levels, a MANIFEST of several edits, an older WAL whose memtable was frozen but not yet
// flushed (complete and synced), and the newest WAL holding the last writes. Every write is a
// sync write of one WAL record. The state is what a power loss leaves while the flush of the
// frozen memtable is under way.
struct TwoWalState {
  std::shared_ptr<MemFileSystem> fs;
  History history;
  uint64_t old_wal = 0;  // WAL numbers
  uint64_t new_wal = 0;
  size_t old_wal_first_op = 0;  // ops [old_wal_first_op, new_wal_first_op) are in the old WAL
  size_t new_wal_first_op = 0;
};

inline Options TwoWalOptions(std::shared_ptr<FileSystem> fs) {
  Options options;
  options.create_if_missing = true;
  options.file_system = std::move(fs);
  options.write_buffer_size = 4096;
  options.block_size = 256;
  options.level0_file_num_compaction_trigger = 3;
  return options;
}

inline void BuildTwoWalState(uint64_t seed, int records_in_new_wal, TwoWalState* state) {
  auto mem = std::make_shared<MemFileSystem>();
  auto hook = std::make_shared<HookFileSystem>(mem);
  std::mutex mu;
  std::condition_variable cv;
  bool block_sst = false, sst_blocked = false;
  int wals_created = 0;
  hook->SetBeforeHook([&](FsOp op, const std::string& path) {
    if (op != FsOp::kOpen) return;
    std::unique_lock<std::mutex> lock(mu);
    if (path.ends_with(".log")) wals_created++;
    if (path.ends_with(".sst") && block_sst) {
      sst_blocked = true;
      cv.notify_all();
      cv.wait(lock, [&] { return !block_sst; });
    }
  });
  Random rnd(seed);
  WriteOptions sync;
  sync.sync = true;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(TwoWalOptions(hook), "/db", &db));
  auto write = [&](int i) {
    WriteOp op;
    const std::string key = NumberKey(rnd.Uniform(60), 4);
    if (i % 9 == 4) {
      op.entries.emplace_back(key, std::nullopt);
    } else {
      op.entries.emplace_back(key, "v" + std::to_string(i) + "-" + key + "-" +
                                       RandomString(&rnd, 40 + rnd.Uniform(60)));
    }
    if (i % 7 == 3) op.entries.emplace_back(NumberKey(rnd.Uniform(60), 4), "batch" + key);
    WriteBatch batch = op.ToBatch();
    state->history.Add(std::move(op));
    ASSERT_OK(db->Write(sync, &batch));
  };
  int i = 0;
  for (; i < 150; i++) ASSERT_NO_FATAL_FAILURE(write(i));  // several flushes and compactions
  ASSERT_OK(db->Flush());
  {
    std::lock_guard<std::mutex> lock(mu);
    block_sst = true;
    wals_created = 0;
  }
  state->old_wal_first_op = state->history.size();
  // Fill the memtable until it is frozen (a new WAL) and its flush is stuck.
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu);
      if (wals_created > 0) {
        cv.wait(lock, [&] { return sst_blocked; });
        break;
      }
    }
    ASSERT_NO_FATAL_FAILURE(write(i++));
  }
  // The write that froze the memtable went to the new WAL.
  state->new_wal_first_op = state->history.size() - 1;
  for (int j = 0; j < records_in_new_wal; j++) ASSERT_NO_FATAL_FAILURE(write(i++));
  state->fs = mem->CrashClone(CrashOptions::PowerLoss());
  {
    std::lock_guard<std::mutex> lock(mu);
    block_sst = false;
  }
  cv.notify_all();
  db.reset();
  const std::vector<uint64_t> wals = FileNumbers(state->fs.get(), "/db", FileType::kLogFile);
  ASSERT_EQ(wals.size(), 2u);
  state->old_wal = wals[0];
  state->new_wal = wals[1];
}

}  // namespace strata::test
