// db_api_fuzzer: the public API (strata/db.h) driven by the input as a sequence of operations on
// a DB over the in-memory file system, checked against a std::map model after every step.
//
// Input: 10 option bytes (tiny write buffers, blocks, files and levels, so that flushes and
// compactions happen within a few operations), then operations, each an opcode byte and its
// arguments (see DbApiRunner::Step): put, delete, batch, get, scans, seek-and-step, snapshots,
// long-lived iterators, flush, compaction, reopen, crash (clone the file system as a power loss
// would leave it, reopen on the clone) and VerifyChecksums.
//
// Invariants: every call succeeds (sizes stay within the limits); reads at the latest state, at a
// snapshot or through an iterator created earlier show exactly the model's state of that moment;
// a clean reopen keeps everything; after a crash the DB opens and holds exactly the model state
// after some prefix of the writes that includes every write acknowledged before the last
// sync=true write or Flush (durability rules 6 and 9); the DB never enters the background-error
// state. Each input's work is bounded: at most kMaxOps operations, of which at most
// kMaxHeavyOps reopen or crash, keys of at most 24 bytes and values of at most 2 KiB.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fs/crash_options.h"
#include "fs/mem_fs.h"
#include "fuzz_util.h"
#include "model_check.h"
#include "sst/compression.h"
#include "strata/db.h"
#include "strata/options.h"
#include "strata/write_batch.h"

namespace strata::fuzz {

class DbApiRunner {
 public:
  static constexpr int kMaxOps = 256;
  static constexpr int kMaxHeavyOps = 6;
  static constexpr size_t kMaxSnapshots = 6;
  static constexpr size_t kMaxIterators = 3;

  explicit DbApiRunner(std::string_view input) : in_(input) {}
  ~DbApiRunner() { Close(); }

  void Run() {
    ConfigureOptions();
    fs_ = std::make_shared<MemFileSystem>();
    options_.file_system = fs_;
    const Status s = DB::Open(options_, kPath, &db_);
    FUZZ_CHECK_MSG(s.ok(), "open: " + s.ToString());
    for (int op = 0; op < kMaxOps && !in_.empty(); op++) Step(op);
    CheckScan(nullptr, model_, "final scan");
  }

 private:
  using KV = std::map<std::string, std::string>;
  // One write as the model sees it: (key, value), no value for a delete.
  using Update = std::pair<std::string, std::optional<std::string>>;
  struct LiveSnapshot {
    const Snapshot* snapshot;
    KV state;
  };
  struct LiveIterator {
    std::unique_ptr<Iterator> it;
    KV state;
  };
  static constexpr const char* kPath = "/db";

  void ConfigureOptions() {
    options_.create_if_missing = true;
    options_.write_buffer_size = 1024 + 512 * in_.Range(0, 7);
    options_.max_write_buffer_number = static_cast<int>(in_.Range(2, 4));
    options_.block_size = size_t{64} << in_.Range(0, 3);
    options_.block_restart_interval = static_cast<int>(in_.Range(1, 16));
    const uint8_t b = in_.U8();
    options_.bloom_bits_per_key = (b & 3) == 0 ? 0 : ((b & 3) == 1 ? 1 : 10);
    options_.block_cache_size = (b & 4) ? 16 * 1024 : 0;
    options_.paranoid_checks = (b & 8) != 0;
    const CompressionType compression = static_cast<CompressionType>((b >> 4) % 3);
    if (CompressionTypeSupported(compression)) options_.compression = compression;
    options_.level0_file_num_compaction_trigger = static_cast<int>(in_.Range(1, 4));
    options_.level0_slowdown_writes_trigger = options_.level0_file_num_compaction_trigger + 2;
    options_.level0_stop_writes_trigger = options_.level0_file_num_compaction_trigger + 6;
    options_.max_bytes_for_level_base = 1024 * in_.Range(1, 8);
    options_.max_bytes_for_level_multiplier = in_.Range(2, 10);
    options_.target_file_size_base = 1024 * in_.Range(1, 4);
    options_.max_open_files = static_cast<int>(in_.Range(10, 20));
  }

  std::string Key() {
    const uint8_t b = in_.U8();
    if (b < 224) return "key" + std::to_string(b % 48);
    return std::string(in_.Bytes(b % 24));  // raw bytes, possibly empty
  }

  std::string Value() {
    const uint8_t b = in_.U8();
    const size_t n = (b & 0x80) ? size_t{16} * (b & 0x7f) : (b & 0x1f);
    std::string v = std::to_string(++version_) + ":";
    v.resize(v.size() + n, static_cast<char>('a' + b % 26));
    return v;
  }

  // A write: applied to the model and remembered for the crash check.
  void Apply(const std::vector<Update>& updates, bool sync) {
    for (const Update& u : updates) {
      if (u.second) {
        model_[u.first] = *u.second;
      } else {
        model_.erase(u.first);
      }
      unsynced_.push_back(u);
    }
    unsynced_ends_.push_back(unsynced_.size());  // a batch is atomic: a crash keeps all or none
    if (sync) MarkDurable();
  }

  void MarkDurable() {
    durable_ = model_;
    unsynced_.clear();
    unsynced_ends_.clear();
  }

  void Step(int op) {
    const uint8_t code = in_.U8();
    switch (code % 18) {
      case 0:
      case 1:
      case 2:
        return DoPut();
      case 3:
        return DoDelete();
      case 4:
        return DoBatch();
      case 5:
        return DoGet();
      case 6:
        return CheckScan(nullptr, model_, "scan");
      case 7:
        return DoSeekAndStep();
      case 8:
        return DoSnapshot();
      case 9:
        return DoReadSnapshot();
      case 10:
        return DoReleaseSnapshot();
      case 11:
        return DoFlush();
      case 12:
        return DoCompact();
      case 13:
        return DoReopen(op);
      case 14:
        return DoCrash(op);
      case 15:
        return DoVerify();
      case 16:
        return DoNewIterator();
      default:
        return DoCheckIterator();
    }
  }

  WriteOptions NextWriteOptions() {
    WriteOptions wo;
    wo.sync = (in_.U8() & 3) == 0;
    return wo;
  }

  void DoPut() {
    std::string key = Key();
    std::string value = Value();
    const WriteOptions wo = NextWriteOptions();
    const Status s = db_->Put(wo, key, value);
    FUZZ_CHECK_MSG(s.ok(), "put: " + s.ToString());
    Apply({{std::move(key), std::move(value)}}, wo.sync);
  }

  void DoDelete() {
    std::string key = Key();
    const WriteOptions wo = NextWriteOptions();
    const Status s = db_->Delete(wo, key);
    FUZZ_CHECK_MSG(s.ok(), "delete: " + s.ToString());
    Apply({{std::move(key), std::nullopt}}, wo.sync);
  }

  void DoBatch() {
    const uint32_t n = in_.Range(0, 8);
    WriteBatch batch;
    std::vector<Update> updates;
    for (uint32_t i = 0; i < n; i++) {
      std::string key = Key();
      if (in_.U8() & 1) {
        std::string value = Value();
        batch.Put(key, value);
        updates.emplace_back(std::move(key), std::move(value));
      } else {
        batch.Delete(key);
        updates.emplace_back(std::move(key), std::nullopt);
      }
    }
    const WriteOptions wo = NextWriteOptions();
    const Status s = db_->Write(wo, &batch);
    FUZZ_CHECK_MSG(s.ok(), "write: " + s.ToString());
    Apply(updates, wo.sync);
  }

  ReadOptions NextReadOptions(const Snapshot* snapshot) {
    const uint8_t b = in_.U8();
    ReadOptions ro;
    ro.snapshot = snapshot;
    ro.verify_checksums = (b & 1) != 0;
    ro.fill_cache = (b & 2) != 0;
    return ro;
  }

  void CheckGet(const Snapshot* snapshot, const KV& state, const std::string& key) {
    std::string value;
    const Status s = db_->Get(NextReadOptions(snapshot), key, &value);
    const auto it = state.find(key);
    if (it == state.end()) {
      FUZZ_CHECK_MSG(s.IsNotFound(), "get " + Printable(key) + ": " + s.ToString());
    } else {
      FUZZ_CHECK_MSG(s.ok(), "get " + Printable(key) + ": " + s.ToString());
      FUZZ_CHECK_MSG(value == it->second, "get " + Printable(key) + ": wrong value");
    }
  }

  void DoGet() { CheckGet(nullptr, model_, Key()); }

  static KV ReadAll(Iterator* it, bool backward, std::string_view what) {
    KV out;
    std::string prev;
    int n = 0;
    for (backward ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
         backward ? it->Prev() : it->Next()) {
      const std::string key(it->key());
      if (n++ > 0) {
        FUZZ_CHECK_MSG(backward ? key < prev : key > prev,
                       std::string(what) + ": keys out of order at " + Printable(key));
      }
      out.emplace(key, std::string(it->value()));
      prev = key;
    }
    FUZZ_CHECK_MSG(it->status().ok(), std::string(what) + ": " + it->status().ToString());
    return out;
  }

  void CheckIteratorState(Iterator* it, const KV& state, std::string_view what) {
    FUZZ_CHECK_MSG(ReadAll(it, false, what) == state, std::string(what) + ": forward scan differs");
    FUZZ_CHECK_MSG(ReadAll(it, true, what) == state, std::string(what) + ": backward scan differs");
  }

  void CheckScan(const Snapshot* snapshot, const KV& state, std::string_view what) {
    std::unique_ptr<Iterator> it = db_->NewIterator(NextReadOptions(snapshot));
    CheckIteratorState(it.get(), state, what);
  }

  void DoSeekAndStep() {
    const std::string target = Key();
    const uint8_t steps = in_.U8();
    std::unique_ptr<Iterator> it = db_->NewIterator(NextReadOptions(nullptr));
    it->Seek(target);
    auto expected = model_.lower_bound(target);
    for (int i = 0; i < 8; i++) {
      if (expected == model_.end()) {
        FUZZ_CHECK_MSG(!it->Valid(), "seek " + Printable(target) + ": expected the end");
        break;
      }
      FUZZ_CHECK_MSG(it->Valid() && it->key() == expected->first && it->value() == expected->second,
                     "seek " + Printable(target) + " step " + std::to_string(i) + ": expected " +
                         Printable(expected->first));
      if (steps & (1 << i)) {
        it->Next();
        ++expected;
      } else {
        it->Prev();
        if (expected == model_.begin()) {
          FUZZ_CHECK_MSG(!it->Valid(), "prev from the first key");
          break;
        }
        --expected;
      }
    }
    FUZZ_CHECK_MSG(it->status().ok(), it->status().ToString());
  }

  void DoSnapshot() {
    if (snapshots_.size() >= kMaxSnapshots) return;
    snapshots_.push_back({db_->GetSnapshot(), model_});
  }

  void DoReadSnapshot() {
    if (snapshots_.empty()) return;
    const LiveSnapshot& snap = snapshots_[in_.U8() % snapshots_.size()];
    CheckGet(snap.snapshot, snap.state, Key());
    CheckScan(snap.snapshot, snap.state, "snapshot scan");
  }

  void DoReleaseSnapshot() {
    if (snapshots_.empty()) return;
    const size_t i = in_.U8() % snapshots_.size();
    db_->ReleaseSnapshot(snapshots_[i].snapshot);
    snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void DoNewIterator() {
    if (iterators_.size() >= kMaxIterators) iterators_.erase(iterators_.begin());
    iterators_.push_back({db_->NewIterator(NextReadOptions(nullptr)), model_});
  }

  void DoCheckIterator() {
    if (iterators_.empty()) return;
    LiveIterator& li = iterators_[in_.U8() % iterators_.size()];
    CheckIteratorState(li.it.get(), li.state, "long-lived iterator");
  }

  void DoFlush() {
    const Status s = db_->Flush();
    FUZZ_CHECK_MSG(s.ok(), "flush: " + s.ToString());
    MarkDurable();  // Flush returns once the memtable's contents are durable
  }

  void DoCompact() {
    const uint8_t b = in_.U8();
    const std::string begin = Key();
    const std::string end = Key();
    const std::string_view bv = begin;
    const std::string_view ev = end;
    const Status s = db_->CompactRange((b & 1) ? &bv : nullptr, (b & 2) ? &ev : nullptr);
    FUZZ_CHECK_MSG(s.ok(), "compact: " + s.ToString());
  }

  void DoVerify() {
    const Status s = db_->VerifyChecksums();
    FUZZ_CHECK_MSG(s.ok(), "verify: " + s.ToString());
    std::string value;
    FUZZ_CHECK(db_->GetProperty("strata.background-error", &value));
    FUZZ_CHECK_MSG(value == "OK", "background error: " + value);
    FUZZ_CHECK(db_->GetProperty("strata.stats", &value));
    FUZZ_CHECK(db_->GetProperty("strata.sstables", &value));
  }

  // Releases snapshots and iterators and closes the DB.
  void Close() {
    iterators_.clear();
    if (db_ != nullptr) {
      for (const LiveSnapshot& s : snapshots_) db_->ReleaseSnapshot(s.snapshot);
    }
    snapshots_.clear();
    db_.reset();
  }

  void DoReopen(int op) {
    if (heavy_ops_++ >= kMaxHeavyOps) return;
    Close();
    const Status s = DB::Open(options_, kPath, &db_);
    FUZZ_CHECK_MSG(s.ok(), "reopen at op " + std::to_string(op) + ": " + s.ToString());
    CheckScan(nullptr, model_, "scan after reopen");
  }

  // A power loss now: reopen on what the file system would hold, which must be the model after
  // some prefix of the writes not yet known durable (whole batches only).
  void DoCrash(int op) {
    if (heavy_ops_++ >= kMaxHeavyOps) return;
    const uint8_t b = in_.U8();
    const CrashOptions crash =
        (b & 1) ? CrashOptions::Randomized(in_.U64()) : CrashOptions::PowerLoss();
    std::shared_ptr<MemFileSystem> clone = CrashSimulation::Of(fs_.get())->CrashClone(crash);
    Close();
    fs_ = std::move(clone);
    options_.file_system = fs_;
    const Status s = DB::Open(options_, kPath, &db_);
    FUZZ_CHECK_MSG(s.ok(), "open after a crash at op " + std::to_string(op) + ": " + s.ToString());
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    const KV recovered = ReadAll(it.get(), false, "scan after crash");
    it.reset();

    KV candidate = durable_;
    bool found = recovered == candidate;
    size_t next = 0;
    for (const size_t end : unsynced_ends_) {
      if (found) break;
      for (; next < end; next++) {
        const Update& u = unsynced_[next];
        if (u.second) {
          candidate[u.first] = *u.second;
        } else {
          candidate.erase(u.first);
        }
      }
      found = recovered == candidate;
    }
    FUZZ_CHECK_MSG(found, "after a crash at op " + std::to_string(op) + " the DB holds " +
                              std::to_string(recovered.size()) +
                              " keys: not the state after any prefix of the " +
                              std::to_string(unsynced_ends_.size()) + " unsynced writes");
    model_ = recovered;
    MarkDurable();  // what a crash clone holds is durable, and recovery keeps it so
  }

  ByteReader in_;
  Options options_;
  std::shared_ptr<MemFileSystem> fs_;
  std::unique_ptr<DB> db_;
  KV model_;
  KV durable_;                         // the state no crash may lose
  std::vector<Update> unsynced_;       // writes after durable_, in order
  std::vector<size_t> unsynced_ends_;  // end of each write (batch) in unsynced_
  std::vector<LiveSnapshot> snapshots_;
  std::vector<LiveIterator> iterators_;
  uint64_t version_ = 0;
  int heavy_ops_ = 0;
};

inline void RunDbApiTarget(std::string_view input) {
  DbApiRunner runner(input);
  runner.Run();
}

}  // namespace strata::fuzz
