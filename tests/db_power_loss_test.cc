// Power loss at random points of a workload, on the in-memory file system.
//
// One run of a workload (puts, deletes, batches, explicit flushes and compactions, reopens; small
// write buffers so that flushes and compactions run all the time in the background) goes through
// a HookFileSystem over a MemFileSystem. Before chosen file-system calls, made by any thread of
// the DB, the hook takes a crash clone of the MemFileSystem: the state a power loss at exactly
// that point would leave, under CrashOptions that vary from point to point (unsynced data dropped,
// kept whole, or a random prefix of it kept as written, zeroed or as garbage; unsynced directory
// changes undone, kept, or a random prefix kept). The original file system is not changed, so
// one run yields hundreds of crash points. Along with each clone the hook records what the
// writer had been told so far: how many writes were acknowledged, and how many of those were
// made durable by a sync write, a Flush, a CompactRange or a completed Open.
//
// Each clone must then open (every one of them: 0 failed reopens) and hold exactly the state
// after some prefix of the writes, in order, with no holes:
//   - the prefix covers every write made durable before the crash (all acknowledged writes with
//     sync=true; with sync=false, those before the last sync write or Flush);
//   - after a process crash (CrashOptions::ProcessCrash) it covers every acknowledged write,
//     sync or not;
//   - it never covers a write that had not started.
// The recovered DB must take new writes and keep them across a reopen, and its recovery must
// itself survive a power loss: the clone is opened again with a second crash clone taken at a
// random call of that recovery (a double crash), and that second clone must open with exactly the
// same contents.
//
// STRATA_TEST_SCALE multiplies the workload length (and so the number of crash points);
// STRATA_TEST_SEED replays a run.

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fs/crash_options.h"
#include "fs/mem_fs.h"
#include "hook_fs.h"
#include "reliability_util.h"
#include "strata/db.h"
#include "testutil.h"

namespace strata {
namespace {

using test::HookFileSystem;
using test::KV;

constexpr char kDBPath[] = "/db";
constexpr char kSentinelKey[] = "~after-recovery";

// Where a crash point falls: the file (kind) the call was about to touch.
enum Category { kWal, kSst, kManifest, kCurrent, kDirSync, kDelete, kOther, kNumCategories };
constexpr const char* kCategoryNames[] = {"WAL",      "SST",    "MANIFEST", "CURRENT/temp",
                                          "dir sync", "delete", "other"};

Category Classify(FsOp op, const std::string& path) {
  if (op == FsOp::kDirSync) return kDirSync;
  if (op == FsOp::kDelete) return kDelete;
  if (path.ends_with(".log")) return kWal;
  if (path.ends_with(".sst")) return kSst;
  if (path.find("/MANIFEST-") != std::string::npos) return kManifest;
  if (path.ends_with("/CURRENT") || path.ends_with(".dbtmp")) return kCurrent;
  return kOther;
}

// The crash options of the nth crash point: every shape of damage in turn.
CrashOptions NthCrashOptions(uint64_t n, uint64_t seed) {
  using U = CrashOptions::UnsyncedData;
  using F = CrashOptions::Fill;
  using D = CrashOptions::DirChanges;
  CrashOptions o;
  switch (n % 7) {
    case 0:
      o = CrashOptions::PowerLoss();
      break;
    case 1:
      o = CrashOptions::ProcessCrash();
      break;
    case 2:
      o.unsynced_data = U::kKeepRandomPrefix;
      o.unsynced_dir_changes = D::kKeepRandomPrefix;
      break;
    case 3:
      o.unsynced_data = U::kKeepRandomPrefix;
      o.unsynced_fill = F::kZeros;
      break;
    case 4:
      o.unsynced_data = U::kKeepRandomPrefix;
      o.unsynced_fill = F::kGarbage;
      o.unsynced_dir_changes = D::kKeepRandomPrefix;
      break;
    case 5:
      o.unsynced_data = U::kKeepAll;
      o.unsynced_fill = F::kGarbage;
      o.unsynced_dir_changes = D::kKeepAll;
      break;
    default:
      o = CrashOptions::Randomized(seed);
      break;
  }
  o.seed = seed;
  return o;
}

bool IsProcessCrash(const CrashOptions& o) {
  return o.unsynced_data == CrashOptions::UnsyncedData::kKeepAll &&
         o.unsynced_fill == CrashOptions::Fill::kAsWritten &&
         o.unsynced_dir_changes == CrashOptions::DirChanges::kKeepAll;
}

std::string Describe(const CrashOptions& o) {
  return "data=" + std::to_string(static_cast<int>(o.unsynced_data)) +
         " fill=" + std::to_string(static_cast<int>(o.unsynced_fill)) +
         " dir=" + std::to_string(static_cast<int>(o.unsynced_dir_changes)) +
         " seed=" + std::to_string(o.seed);
}

struct CrashPoint {
  std::shared_ptr<MemFileSystem> fs;
  CrashOptions options;
  size_t lo = 0;  // the recovered state is History::State(p) for some p in [lo, hi]
  size_t hi = 0;
  std::string where;
};

struct Totals {
  uint64_t points = 0;
  uint64_t double_crashes = 0;
  uint64_t failed_reopens = 0;
  uint64_t failures = 0;
  uint64_t process_crash_points = 0;
  uint64_t by_category[kNumCategories] = {};
  std::vector<std::string> messages;  // the first few failures
};

// One workload run with crash clones taken along the way, checked as they come in.
class PowerLossRun {
 public:
  PowerLossRun(bool sync_writes, uint64_t seed)
      : sync_writes_(sync_writes), seed_(seed), rnd_(seed), crash_rnd_(seed * 31 + 7) {}

  void Run(size_t num_ops, Totals* totals) {
    totals_ = totals;
    mem_ = std::make_shared<MemFileSystem>();
    auto hook = std::make_shared<HookFileSystem>(mem_);
    hook->SetBeforeHook([this](FsOp op, const std::string& path) { MaybeCrash(op, path); });
    const Options options = test::SmallDBOptions(hook);
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDBPath, &db));

    for (size_t i = 0; i < num_ops; i++) {
      const uint64_t r = rnd_.Uniform(1000);
      if (r < 25) {
        ASSERT_OK(db->Flush());
        floor_.store(acked_.load());
      } else if (r < 32) {
        const std::string a = Key(rnd_.Uniform(kKeys)), b = Key(rnd_.Uniform(kKeys));
        const std::string_view lo = std::min(a, b), hi = std::max(a, b);
        if (rnd_.OneIn(3)) {
          ASSERT_OK(db->CompactRange(nullptr, nullptr));
        } else {
          ASSERT_OK(db->CompactRange(&lo, &hi));
        }
        floor_.store(acked_.load());  // CompactRange flushes first
      } else if (r < 36) {
        db.reset();
        ASSERT_OK(DB::Open(options, kDBPath, &db));
        floor_.store(acked_.load());  // recovery makes what it replayed durable
      } else {
        ASSERT_NO_FATAL_FAILURE(DoWrite(db.get(), r));
      }
      VerifyPending();
      if (totals_->failures > 20) break;  // enough to go on
    }
    db.reset();
    MaybeCrash(FsOp::kClose, "(after close)");
    VerifyPending();

    // The clean shutdown lost nothing.
    ASSERT_OK(DB::Open(test::SmallDBOptions(mem_), kDBPath, &db));
    KV got;
    ASSERT_OK(test::ScanAll(db.get(), &got));
    EXPECT_EQ(got, history_.State(history_.size())) << "seed " << seed_;
  }

 private:
  static constexpr uint64_t kKeys = 160;

  static std::string Key(uint64_t i) { return test::NumberKey(i, 5); }

  std::string NewValue(size_t op_index, const std::string& key) {
    std::string v = "v" + std::to_string(op_index) + "/" + key + "/";
    // Mostly small values; now and then one larger than a WAL block (a fragmented record).
    const size_t len = rnd_.OneIn(120) ? 33000 + rnd_.Uniform(4000) : 20 + rnd_.Uniform(200);
    v.append(test::RandomString(&rnd_, len));
    return v;
  }

  void DoWrite(DB* db, uint64_t r) {
    const size_t index = history_.size();
    test::WriteOp op;
    if (r < 200) {
      op.entries.emplace_back(Key(rnd_.Uniform(kKeys)), std::nullopt);
    } else if (r < 350) {
      const int n = 2 + static_cast<int>(rnd_.Uniform(6));
      for (int i = 0; i < n; i++) {
        const std::string key = Key(rnd_.Uniform(kKeys));
        if (rnd_.OneIn(4)) {
          op.entries.emplace_back(key, std::nullopt);
        } else {
          op.entries.emplace_back(key, NewValue(index, key));
        }
      }
    } else {
      const std::string key = Key(rnd_.Uniform(kKeys));
      op.entries.emplace_back(key, NewValue(index, key));
    }
    WriteOptions wo;
    wo.sync = sync_writes_ || rnd_.OneIn(25);
    WriteBatch batch = op.ToBatch();
    history_.Add(std::move(op));
    started_.store(index + 1);
    ASSERT_OK(db->Write(wo, &batch));
    acked_.store(index + 1);
    if (wo.sync) floor_.store(index + 1);
  }

  // The hook: runs before a file-system call of any DB thread.
  void MaybeCrash(FsOp op, const std::string& path) {
    const Category cat = Classify(op, path);
    uint64_t one_in = 1;
    switch (cat) {
      case kWal:
        one_in = 6;
        break;
      case kSst:
        one_in = op == FsOp::kRead ? 24 : 3;
        break;
      case kOther:
        one_in = 4;
        break;
      default:
        break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!crash_rnd_.OneIn(one_in)) return;
    CrashPoint point;
    point.options = NthCrashOptions(crash_count_++, crash_rnd_.Next64());
    const bool process_crash = IsProcessCrash(point.options);
    point.lo = process_crash ? acked_.load() : floor_.load();
    point.fs = mem_->CrashClone(point.options);
    point.hi = started_.load();
    point.where = std::string(FsOpName(op)) + " " + path;
    totals_->by_category[cat]++;
    if (process_crash) totals_->process_crash_points++;
    pending_.push_back(std::move(point));
  }

  void Fail(const CrashPoint& point, const std::string& what) {
    totals_->failures++;
    if (totals_->messages.size() < 10) {
      totals_->messages.push_back(
          "seed " + std::to_string(seed_) + " sync=" + std::to_string(sync_writes_) +
          ", crash before " + point.where + " [" + Describe(point.options) + "], writes " +
          std::to_string(point.lo) + ".." + std::to_string(point.hi) + ": " + what);
    }
  }

  void VerifyPending() {
    std::vector<CrashPoint> points;
    {
      std::lock_guard<std::mutex> lock(mu_);
      points.swap(pending_);
    }
    for (const CrashPoint& point : points) {
      totals_->points++;
      Verify(point);
    }
  }

  // Opens fs (a durable state) and reads it all; counts the file-system calls of the Open.
  Status OpenAndRead(std::shared_ptr<FileSystem> fs, KV* got, uint64_t* open_calls = nullptr) {
    auto counter = std::make_shared<HookFileSystem>(std::move(fs));
    std::unique_ptr<DB> db;
    Status s = DB::Open(test::SmallDBOptions(counter), kDBPath, &db);
    if (!s.ok()) return s.WithContext("Open");
    if (open_calls != nullptr) *open_calls = counter->TotalCalls();
    s = test::ScanAll(db.get(), got);
    if (!s.ok()) return s.WithContext("scan");
    std::vector<std::string> keys;
    for (uint64_t i = 0; i < kKeys; i += 7) keys.push_back(Key(i));
    const std::string gets = test::CheckGets(db.get(), *got, keys);
    if (!gets.empty()) return Status::Corruption("Get disagrees with the scan: " + gets);
    return Status::OK();
  }

  void Verify(const CrashPoint& point) {
    // 1. Recover an exact copy of the crashed state: it must hold a prefix of the writes.
    KV got;
    uint64_t open_calls = 0;
    Status s = OpenAndRead(point.fs->CrashClone(CrashOptions()), &got, &open_calls);
    if (!s.ok()) {
      totals_->failed_reopens++;
      return Fail(point, "recovery failed: " + s.ToString());
    }
    const std::optional<size_t> p = history_.FindPrefix(got, point.lo, point.hi);
    if (!p.has_value()) {
      return Fail(point, "not a prefix: vs writes " + std::to_string(point.lo) + ":" +
                             test::DescribeDiff(history_.State(point.lo), got) + "; vs writes " +
                             std::to_string(point.hi) + ":" +
                             test::DescribeDiff(history_.State(point.hi), got));
    }

    // 2. The recovered DB takes new writes and keeps them.
    {
      std::shared_ptr<MemFileSystem> copy = point.fs->CrashClone(CrashOptions());
      std::unique_ptr<DB> db;
      s = DB::Open(test::SmallDBOptions(copy), kDBPath, &db);
      WriteOptions sync;
      sync.sync = true;
      if (s.ok()) s = db->Put(sync, kSentinelKey, "x");
      db.reset();
      KV after;
      if (s.ok()) s = OpenAndRead(copy, &after);
      KV want = got;
      want[kSentinelKey] = "x";
      if (!s.ok()) {
        totals_->failed_reopens++;
        return Fail(point, "writing after recovery: " + s.ToString());
      }
      if (after != want)
        return Fail(point, "write after recovery:" + test::DescribeDiff(want, after));
    }

    // 3. A second power loss during recovery: the clone's recovery is crashed at a random call,
    //    and what that leaves must recover to the same contents.
    uint64_t target, second_seed;
    {
      std::lock_guard<std::mutex> lock(mu_);  // the DB's threads draw from crash_rnd_ too
      target = 1 + crash_rnd_.Uniform(open_calls + 1);
      second_seed = crash_rnd_.Next64();
    }
    std::shared_ptr<MemFileSystem> second;
    const CrashOptions second_options = CrashOptions::Randomized(second_seed);
    {
      auto hook = std::make_shared<HookFileSystem>(point.fs);
      std::mutex mu;
      uint64_t calls = 0;
      hook->SetBeforeHook([&](FsOp, const std::string&) {
        std::lock_guard<std::mutex> lock(mu);
        if (++calls == target) second = point.fs->CrashClone(second_options);
      });
      std::unique_ptr<DB> db;
      s = DB::Open(test::SmallDBOptions(hook), kDBPath, &db);
      db.reset();
      hook->ClearHooks();
      if (!s.ok()) {
        totals_->failed_reopens++;
        return Fail(point, "second recovery failed: " + s.ToString());
      }
      if (second == nullptr) second = point.fs->CrashClone(second_options);
    }
    totals_->double_crashes++;
    KV again;
    s = OpenAndRead(second, &again);
    if (!s.ok()) {
      totals_->failed_reopens++;
      return Fail(point, "recovery after a crash during recovery (call " + std::to_string(target) +
                             ", " + Describe(second_options) + ") failed: " + s.ToString());
    }
    if (again != got) {
      Fail(point, "a crash during recovery (call " + std::to_string(target) + ", " +
                      Describe(second_options) +
                      ") changed the contents:" + test::DescribeDiff(got, again));
    }
  }

  const bool sync_writes_;
  const uint64_t seed_;
  Random rnd_;  // the workload; writer thread only

  std::shared_ptr<MemFileSystem> mem_;
  test::History history_;  // writer thread only
  std::atomic<size_t> started_{0};
  std::atomic<size_t> acked_{0};
  std::atomic<size_t> floor_{0};

  std::mutex mu_;  // guards what the hook touches below
  Random crash_rnd_;
  uint64_t crash_count_ = 0;
  std::vector<CrashPoint> pending_;
  Totals* totals_ = nullptr;
};

void RunPowerLoss(bool sync_writes) {
  const uint64_t seed = test::TestSeed() + (sync_writes ? 0 : 1000);
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (STRATA_TEST_SEED=" + std::to_string(test::TestSeed()) + ")");
  const size_t ops = static_cast<size_t>(300 * test::TestScale());
  Totals totals;
  PowerLossRun run(sync_writes, seed);
  ASSERT_NO_FATAL_FAILURE(run.Run(ops, &totals));

  std::printf(
      "[power loss] sync=%d seed=%llu: %llu writes/ops, %llu crash points "
      "(%llu process crashes), %llu double crashes, %llu failed reopens, %llu failures\n",
      sync_writes, static_cast<unsigned long long>(seed), static_cast<unsigned long long>(ops),
      static_cast<unsigned long long>(totals.points),
      static_cast<unsigned long long>(totals.process_crash_points),
      static_cast<unsigned long long>(totals.double_crashes),
      static_cast<unsigned long long>(totals.failed_reopens),
      static_cast<unsigned long long>(totals.failures));
  std::printf("[power loss]   crash points before calls on:");
  for (int c = 0; c < kNumCategories; c++) {
    std::printf(" %s %llu", kCategoryNames[c],
                static_cast<unsigned long long>(totals.by_category[c]));
  }
  std::printf("\n");
  for (const std::string& m : totals.messages) ADD_FAILURE() << m;
  EXPECT_EQ(totals.failed_reopens, 0u);
  EXPECT_EQ(totals.failures, 0u);
  EXPECT_GE(totals.points, 100u);
  // The crash points fall inside every kind of durable state change.
  for (int c : {kWal, kSst, kManifest, kCurrent, kDirSync, kDelete}) {
    EXPECT_GT(totals.by_category[c], 0u) << kCategoryNames[c];
  }
}

TEST(DBPowerLossTest, SyncWritesLoseNothingAcknowledged) { RunPowerLoss(/*sync_writes=*/true); }

TEST(DBPowerLossTest, UnsyncedWritesRecoverAPrefixCoveringEverySync) {
  RunPowerLoss(/*sync_writes=*/false);
}

}  // namespace
}  // namespace strata
