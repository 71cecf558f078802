// Worker: one stress thread. Runs a random mix of writes and checked reads against the DB,
// keeping the oracle up to date with the write protocol of expected_state.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "strata/db.h"
#include "stress/expected_state.h"
#include "stress/lock_table.h"
#include "stress/random.h"
#include "stress/stress_options.h"

namespace strata::stress {

// What the workers of one run share. Outlives them.
struct SharedState {
  DB* db = nullptr;
  ExpectedState* oracle = nullptr;
  LockTable* locks = nullptr;
  const StressOptions* options = nullptr;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0};  // operations started by all workers
};

struct WorkerStats {
  uint64_t puts = 0;
  uint64_t deletes = 0;
  uint64_t batches = 0;
  uint64_t batch_writes = 0;  // keys written by batches
  uint64_t gets = 0;
  uint64_t scans = 0;
  uint64_t scanned_keys = 0;  // window keys checked by scans
  uint64_t snapshots = 0;
  uint64_t flushes = 0;
  uint64_t compactions = 0;

  void Add(const WorkerStats& o);
  uint64_t acknowledged_writes() const { return puts + deletes + batch_writes; }
  std::string ToString() const;
};

class Worker {
 public:
  Worker(SharedState* shared, int id);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until shared->stop or the per-thread operation limit.
  void Run();
  const WorkerStats& stats() const { return stats_; }

 private:
  enum class WriteKind { kPut, kDelete, kBatch };
  struct SnapshotReleaser {
    DB* db;
    void operator()(const Snapshot* s) const { db->ReleaseSnapshot(s); }
  };
  using SnapshotHandle = std::unique_ptr<const Snapshot, SnapshotReleaser>;
  // A snapshot this thread holds, with the exact state of a key window when it was taken.
  struct HeldSnapshot {
    SnapshotHandle snapshot;
    uint64_t lo = 0;
    std::vector<KeyState> states;  // of keys [lo, lo + states.size())
    uint64_t ops_left = 0;
  };

  void DoOneOp();
  void AfterOp();
  void DoWrite(WriteKind kind);
  Status IssueWrite(WriteKind kind, std::span<const uint64_t> keys,
                    std::span<const KeyState> targets);
  void DoGet();
  void DoIterate();
  void TakeSnapshot();
  void VerifyAndReleaseSnapshot();
  void DoCompactRange();

  uint64_t RandomKey();
  std::vector<uint64_t> RandomDistinctKeys(size_t count);
  // A random window [*lo, *hi) of at most max_width keys of the oracle's key space.
  void RandomWindow(uint64_t max_width, uint64_t* lo, uint64_t* hi);
  WriteOptions NextWriteOptions();
  ReadOptions NextReadOptions();

  SharedState* const shared_;
  DB* const db_;
  ExpectedState* const oracle_;
  const StressOptions& options_;
  Rng rng_;
  WorkerStats stats_;
  std::unique_ptr<HeldSnapshot> held_;
};

}  // namespace strata::stress
