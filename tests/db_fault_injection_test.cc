// I/O errors at every file-system call of a workload, and the background-error state.
//
// The file-system stack of every run is DB -> HookFileSystem (sees each call and its result) ->
// FaultInjectionFileSystem (fails the chosen call) -> MemFileSystem. A deterministic workload
// (puts, deletes, batches, sync and non-sync writes, reads, Flush, CompactRange, a reopen) is run
// once to count its file-system calls N; then for n = 1..N it is run again with call n failing:
// once with EIO, from n on with EIO (a dead disk), once and from n on with ENOSPC. Each run
// checks, as it goes:
//   - a write that returned ok never had a file-system call fail under it (no success reported
//     for a failed write);
//   - after a failed write, Flush or CompactRange, the DB is in the background-error state:
//     GetProperty("strata.background-error") shows the error, and every later write, Flush and
//     CompactRange fails with exactly that error, until reopen;
//   - reads go on: every Get and scan returns the right state or an error, never a wrong value
//     and never NotFound for a present key; with a single fault they all succeed once it fired;
//   - no WritableFile is synced again after a failed Sync (durability rule 7);
//   - a failed Open returns a status naming the file whose call failed, and no DB;
// and at the end, with the faults gone, the DB reopens holding every acknowledged write, none
// that was refused, and for the write that failed under its own I/O either all or none of it.
//
// Further tests: EIO on the read path (point reads and iterators over memtable, L0 and deeper
// levels), Open of an existing DB failing at each of its calls, and the background-error state
// after a failed WAL sync, SST write, MANIFEST sync and compaction.

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fs/fault_injection_fs.h"
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

std::string FileKind(const std::string& path) {
  if (path.ends_with(".log")) return "WAL";
  if (path.ends_with(".sst")) return "SST";
  if (path.find("/MANIFEST-") != std::string::npos) return "MANIFEST";
  if (path.ends_with(".dbtmp")) return "CURRENT temp";
  if (path.ends_with("/CURRENT")) return "CURRENT";
  if (path.ends_with("/LOCK")) return "LOCK";
  return "dir";
}

bool IsInjected(const Status& s) {
  return !s.ok() && s.message().find("(injected)") != std::string_view::npos;
}

// Options for the deterministic workload: no automatic flush or compaction, small blocks.
Options WorkloadOptions(std::shared_ptr<FileSystem> fs) {
  Options options;
  options.create_if_missing = true;
  options.file_system = std::move(fs);
  options.write_buffer_size = 1 << 20;
  options.block_size = 256;
  options.block_cache_size = 0;  // every read reaches the file system
  options.level0_file_num_compaction_trigger = 100;
  options.level0_slowdown_writes_trigger = 100;
  options.level0_stop_writes_trigger = 100;
  return options;
}

struct Step {
  enum Kind { kWrite, kFlush, kCompact, kRead, kReopen } kind = kWrite;
  test::WriteOp op;
  bool sync = false;
};

std::string KeyOf(uint64_t i) { return test::NumberKey(i, 4); }
constexpr uint64_t kKeys = 24;

std::vector<Step> MakeWorkload(uint64_t seed, int writes_per_phase) {
  Random rnd(seed);
  std::vector<Step> steps;
  int op_index = 0;
  auto writes = [&](int n) {
    for (int i = 0; i < n; i++) {
      Step st;
      st.sync = rnd.OneIn(3);
      const uint64_t r = rnd.Uniform(10);
      const int entries = r < 2 ? 2 + static_cast<int>(rnd.Uniform(3)) : 1;
      for (int e = 0; e < entries; e++) {
        const std::string key = KeyOf(rnd.Uniform(kKeys));
        if (r == 2 || (entries > 1 && rnd.OneIn(4))) {
          st.op.entries.emplace_back(key, std::nullopt);
        } else {
          st.op.entries.emplace_back(key, "v" + std::to_string(op_index) + "-" + key + "-" +
                                              test::RandomString(&rnd, 60 + rnd.Uniform(120)));
        }
      }
      op_index++;
      steps.push_back(std::move(st));
    }
  };
  auto step = [&](Step::Kind kind) {
    Step st;
    st.kind = kind;
    steps.push_back(std::move(st));
  };
  writes(writes_per_phase);
  step(Step::kFlush);
  writes(writes_per_phase);
  step(Step::kFlush);
  step(Step::kRead);
  step(Step::kCompact);
  writes(writes_per_phase / 2);
  step(Step::kRead);
  step(Step::kReopen);
  step(Step::kRead);
  writes(writes_per_phase / 2);
  step(Step::kFlush);
  writes(writes_per_phase / 3);
  step(Step::kRead);
  return steps;
}

enum class WriteFate { kAcked, kInDoubt, kRefused };

// The states the DB may be in: acknowledged writes applied, plus any subset of the writes whose
// own I/O failed (each all or nothing), in order.
std::vector<KV> CandidateStates(const std::vector<test::WriteOp>& ops,
                                const std::vector<WriteFate>& fates) {
  std::vector<size_t> in_doubt;
  for (size_t i = 0; i < fates.size(); i++) {
    if (fates[i] == WriteFate::kInDoubt) in_doubt.push_back(i);
  }
  std::vector<KV> states;
  const size_t subsets = size_t{1} << std::min<size_t>(in_doubt.size(), 8);
  for (size_t mask = 0; mask < subsets; mask++) {
    KV kv;
    size_t d = 0;
    for (size_t i = 0; i < ops.size(); i++) {
      bool apply = fates[i] == WriteFate::kAcked;
      if (fates[i] == WriteFate::kInDoubt) apply = (mask >> d++) & 1;
      if (apply) ops[i].ApplyTo(&kv);
    }
    states.push_back(std::move(kv));
  }
  return states;
}

// Counts gathered over all the runs of a mode.
struct ModeTotals {
  uint64_t runs = 0;
  uint64_t injected = 0;  // runs in which the fault fired
  uint64_t bg_errors = 0;
  uint64_t failed_opens = 0;
  uint64_t failed_writes = 0;
  uint64_t failed_reads = 0;
  std::set<std::string> sites;  // "<op> <file kind>" of the first injected failure
};

// One run of the workload with (optionally) one fault, checked as it goes.
class FaultRun {
 public:
  FaultRun(const std::vector<Step>& steps, std::optional<FaultSpec> fault, bool persistent)
      : steps_(steps), fault_(std::move(fault)), persistent_(persistent) {}

  uint64_t total_calls() const { return total_calls_; }

  void Run(ModeTotals* totals) {
    totals_ = totals;
    mem_ = std::make_shared<MemFileSystem>();
    fi_ = std::make_shared<FaultInjectionFileSystem>(mem_);
    hook_ = std::make_shared<HookFileSystem>(fi_);
    writer_ = std::this_thread::get_id();
    hook_->SetAfterHook([this](FsOp op, const std::string& path, const Status& s) {
      if (!IsInjected(s)) return;
      std::lock_guard<std::mutex> lock(mu_);
      injected_paths_.push_back(path);
      if (first_site_.empty()) first_site_ = std::string(FsOpName(op)) + " " + FileKind(path);
      if (std::this_thread::get_id() == writer_ && in_write_) write_call_failed_ = true;
    });
    options_ = WorkloadOptions(hook_);
    if (fault_.has_value()) fault_id_ = fi_->AddFault(*fault_);

    std::unique_ptr<DB> db;
    bool open = false;
    ASSERT_NO_FATAL_FAILURE(Open(&db, &open));
    for (size_t i = 0; i < steps_.size() && open; i++) {
      const Step& st = steps_[i];
      switch (st.kind) {
        case Step::kWrite:
          ASSERT_NO_FATAL_FAILURE(Write(db.get(), st));
          break;
        case Step::kFlush:
          ASSERT_NO_FATAL_FAILURE(CheckCommand(db.get(), db->Flush(), "Flush"));
          break;
        case Step::kCompact:
          ASSERT_NO_FATAL_FAILURE(
              CheckCommand(db.get(), db->CompactRange(nullptr, nullptr), "CompactRange"));
          break;
        case Step::kRead:
          ASSERT_NO_FATAL_FAILURE(CheckReads(db.get()));
          break;
        case Step::kReopen:
          db.reset();
          ASSERT_NO_FATAL_FAILURE(Open(&db, &open));
          break;
      }
    }
    if (db != nullptr) {
      ASSERT_NO_FATAL_FAILURE(CheckReads(db.get()));
    }
    db.reset();

    total_calls_ = fi_->TotalCalls();
    const bool fired = fault_id_ >= 0 && fi_->FaultsFired(fault_id_) > 0;
    EXPECT_EQ(hook_->SyncsAfterFailedSync(), 0u)
        << "a file was synced again after a failed sync: " << hook_->RetriedSyncPaths()[0];
    totals_->runs++;
    if (fired) {
      totals_->injected++;
      std::lock_guard<std::mutex> lock(mu_);
      totals_->sites.insert(first_site_);
    }
    if (saw_bg_error_) totals_->bg_errors++;

    // With the faults gone, the DB reopens with a consistent state.
    hook_.reset();
    fi_.reset();  // makes pending deletions final
    ASSERT_OK(DB::Open(WorkloadOptions(mem_), kDBPath, &db));
    ASSERT_NO_FATAL_FAILURE(CheckState(db.get(), "after reopen without faults"));
    std::string bg;
    ASSERT_TRUE(db->GetProperty("strata.background-error", &bg));
    EXPECT_EQ(bg, "OK");
  }

 private:
  bool FaultFired() const { return fault_id_ >= 0 && fi_->FaultsFired(fault_id_) > 0; }

  std::string BackgroundError(DB* db) {
    std::string bg;
    EXPECT_TRUE(db->GetProperty("strata.background-error", &bg));
    return bg;
  }

  void Open(std::unique_ptr<DB>* db, bool* open) {
    size_t first_injection;
    {
      std::lock_guard<std::mutex> lock(mu_);
      first_injection = injected_paths_.size();
    }
    Status s = DB::Open(options_, kDBPath, db);
    if (s.ok()) {
      *open = true;
      EXPECT_EQ(BackgroundError(db->get()), "OK");
      return;
    }
    totals_->failed_opens++;
    EXPECT_EQ(*db, nullptr);
    {
      // The status names the file (or directory) whose call failed.
      std::lock_guard<std::mutex> lock(mu_);
      ASSERT_GT(injected_paths_.size(), first_injection)
          << "Open failed without an injected error: " << s.ToString();
      bool named = false;
      for (size_t i = first_injection; i < injected_paths_.size(); i++) {
        named = named || s.ToString().find(injected_paths_[i]) != std::string::npos;
      }
      EXPECT_TRUE(named) << s.ToString() << " does not name " << injected_paths_[first_injection];
    }
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    if (persistent_) {
      *open = false;
      return;
    }
    // A single fault has fired: the next Open succeeds.
    s = DB::Open(options_, kDBPath, db);
    ASSERT_TRUE(s.ok()) << "Open after a failed Open: " << s.ToString();
    *open = true;
    ASSERT_NO_FATAL_FAILURE(CheckReads(db->get()));
  }

  void Write(DB* db, const Step& st) {
    const std::string bg_before = BackgroundError(db);
    WriteBatch batch = st.op.ToBatch();
    WriteOptions wo;
    wo.sync = st.sync;
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_write_ = true;
      write_call_failed_ = false;
    }
    const Status s = db->Write(wo, &batch);
    bool call_failed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_write_ = false;
      call_failed = write_call_failed_;
    }
    ops_.push_back(st.op);
    if (bg_before != "OK") {
      // Refused: the DB is in the background-error state.
      EXPECT_FALSE(s.ok()) << "a write succeeded in the background-error state " << bg_before;
      EXPECT_EQ(s.ToString(), bg_before) << "a write refused with another error than the original";
      fates_.push_back(WriteFate::kRefused);
      totals_->failed_writes++;
      return;
    }
    if (s.ok()) {
      EXPECT_FALSE(call_failed) << "a write reported success after a file-system call failed";
      fates_.push_back(WriteFate::kAcked);
      return;
    }
    totals_->failed_writes++;
    fates_.push_back(WriteFate::kInDoubt);
    EXPECT_TRUE(IsInjected(s)) << s.ToString();
    // A failed write leaves the DB in the background-error state, showing this error.
    EXPECT_EQ(BackgroundError(db), s.ToString());
    saw_bg_error_ = true;
    ASSERT_NO_FATAL_FAILURE(CheckReads(db));
  }

  // Flush and CompactRange: ok, or the DB is (now) in the background-error state with the error.
  void CheckCommand(DB* db, const Status& s, const char* what) {
    const std::string bg = BackgroundError(db);
    if (s.ok()) {
      // A background failure may still come later, but this command's own work succeeded.
      return;
    }
    saw_bg_error_ = true;
    EXPECT_TRUE(IsInjected(s)) << what << ": " << s.ToString();
    EXPECT_EQ(bg, s.ToString()) << what << " failed with another error than the DB's";
    ASSERT_NO_FATAL_FAILURE(CheckReads(db));
  }

  // Every read returns a state the DB may hold, or an error; never a wrong value.
  void CheckReads(DB* db) {
    const bool must_succeed = !persistent_ && FaultFired();
    const std::vector<KV> candidates = CandidateStates(ops_, fates_);
    ASSERT_LE(candidates.size(), 4u) << "too many writes in doubt";
    for (uint64_t i = 0; i < kKeys + 2; i++) {
      const std::string key = KeyOf(i);  // the last two keys are never written
      std::string value;
      const Status s = db->Get(ReadOptions(), key, &value);
      if (!s.ok() && !s.IsNotFound()) {
        totals_->failed_reads++;
        EXPECT_FALSE(must_succeed) << "Get(" << key << ") after the fault: " << s.ToString();
        continue;
      }
      bool allowed = false;
      for (const KV& kv : candidates) {
        auto it = kv.find(key);
        allowed =
            allowed || (s.IsNotFound() ? it == kv.end() : (it != kv.end() && it->second == value));
      }
      EXPECT_TRUE(allowed) << "Get(" << key << ") returned "
                           << (s.ok() ? "a wrong value" : s.ToString());
    }
    KV got;
    const Status s = test::ScanAll(db, &got);
    if (!s.ok()) {
      totals_->failed_reads++;
      EXPECT_FALSE(must_succeed) << "scan after the fault: " << s.ToString();
      EXPECT_FALSE(s.IsCorruption()) << s.ToString();
      return;
    }
    bool allowed = false;
    for (const KV& kv : candidates) allowed = allowed || kv == got;
    EXPECT_TRUE(allowed) << "scan:" << test::DescribeDiff(candidates[0], got);
  }

  void CheckState(DB* db, const char* when) {
    const std::vector<KV> candidates = CandidateStates(ops_, fates_);
    KV got;
    ASSERT_OK(test::ScanAll(db, &got));
    bool allowed = false;
    for (const KV& kv : candidates) allowed = allowed || kv == got;
    EXPECT_TRUE(allowed) << when << ":" << test::DescribeDiff(candidates[0], got);
    std::vector<std::string> keys;
    for (uint64_t i = 0; i < kKeys + 2; i++) keys.push_back(KeyOf(i));
    EXPECT_EQ(test::CheckGets(db, got, keys), "") << when;
  }

  const std::vector<Step>& steps_;
  const std::optional<FaultSpec> fault_;
  const bool persistent_;
  ModeTotals* totals_ = nullptr;

  std::shared_ptr<MemFileSystem> mem_;
  std::shared_ptr<FaultInjectionFileSystem> fi_;
  std::shared_ptr<HookFileSystem> hook_;
  Options options_;
  int fault_id_ = -1;
  uint64_t total_calls_ = 0;
  std::thread::id writer_;
  bool saw_bg_error_ = false;

  std::vector<test::WriteOp> ops_;  // every write attempted, in order
  std::vector<WriteFate> fates_;

  std::mutex mu_;  // guards what the after-hook touches
  std::vector<std::string> injected_paths_;
  std::string first_site_;
  bool in_write_ = false;
  bool write_call_failed_ = false;
};

struct Mode {
  const char* name;
  bool persistent;
  bool no_space;
};

TEST(DBFaultInjectionTest, ErrorAtEveryCallOfAWorkload) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int writes_per_phase = static_cast<int>(12 * test::TestScale());
  const std::vector<Step> steps = MakeWorkload(seed, writes_per_phase);

  ModeTotals clean;
  FaultRun counting(steps, std::nullopt, false);
  ASSERT_NO_FATAL_FAILURE(counting.Run(&clean));
  const uint64_t n_calls = counting.total_calls();
  ASSERT_GT(n_calls, 100u);

  const Mode modes[] = {{"EIO once", false, false},
                        {"EIO from call n on", true, false},
                        {"ENOSPC once", false, true},
                        {"ENOSPC from call n on", true, true}};
  std::set<std::string> all_sites;
  uint64_t all_injected = 0;
  for (const Mode& mode : modes) {
    ModeTotals totals;
    // A few calls past N: runs differ a little in their call counts (background threads).
    for (uint64_t n = 1; n <= n_calls + 5; n++) {
      SCOPED_TRACE(std::string(mode.name) + ", fault at call " + std::to_string(n) + " of " +
                   std::to_string(n_calls));
      FaultSpec spec = mode.persistent ? FaultSpec::FromNth(kAnyOp, n) : FaultSpec::Once(kAnyOp, n);
      if (mode.no_space) spec.NoSpace();
      FaultRun run(steps, spec, mode.persistent);
      ASSERT_NO_FATAL_FAILURE(run.Run(&totals));
      if (testing::Test::HasFailure()) return;  // one failing case is enough to look at
    }
    std::printf(
        "[fault injection] %s: %llu runs, %llu faults injected at %zu call sites, "
        "%llu background errors, %llu failed opens, %llu failed writes, %llu failed "
        "reads\n",
        mode.name, static_cast<unsigned long long>(totals.runs),
        static_cast<unsigned long long>(totals.injected), totals.sites.size(),
        static_cast<unsigned long long>(totals.bg_errors),
        static_cast<unsigned long long>(totals.failed_opens),
        static_cast<unsigned long long>(totals.failed_writes),
        static_cast<unsigned long long>(totals.failed_reads));
    EXPECT_GE(totals.injected, n_calls - n_calls / 10);
    EXPECT_GT(totals.bg_errors, 0u);
    all_sites.insert(totals.sites.begin(), totals.sites.end());
    all_injected += totals.injected;
  }
  std::printf("[fault injection] workload of %llu calls; %llu faults injected; call sites:",
              static_cast<unsigned long long>(n_calls),
              static_cast<unsigned long long>(all_injected));
  for (const std::string& site : all_sites) std::printf(" [%s]", site.c_str());
  std::printf("\n");
}

// ---- Reads under I/O errors
// ----------------------------------------------------------------------

// A DB whose keys live in the memtable, L0 and L1, with newer versions and deletions in upper
// levels shadowing older values below: a read that skipped a failed block would return a stale
// value or a deleted key. Every read reaches the file system (no block cache).
class ReadErrorTest : public testing::Test {
 protected:
  ReadErrorTest() {
    mem_ = std::make_shared<MemFileSystem>();
    options_ = WorkloadOptions(mem_);
    std::unique_ptr<DB> db;
    EXPECT_OK(DB::Open(options_, kDBPath, &db));
    Random rnd(test::TestSeed());
    auto put = [&](int i, const std::string& tag) {
      const std::string key = KeyOf(i);
      const std::string value = tag + "-" + key + "-" + test::RandomString(&rnd, 40);
      EXPECT_OK(db->Put(WriteOptions(), key, value));
      expected_[key] = value;
    };
    auto del = [&](int i) {
      EXPECT_OK(db->Delete(WriteOptions(), KeyOf(i)));
      expected_.erase(KeyOf(i));
    };
    for (int i = 0; i < kNumKeys; i++) put(i, "L1");
    EXPECT_OK(db->CompactRange(nullptr, nullptr));  // everything in L1 (several files' worth)
    for (int i = 0; i < kNumKeys; i += 3) put(i, "L0a");
    for (int i = 1; i < kNumKeys; i += 7) del(i);
    EXPECT_OK(db->Flush());
    for (int i = 0; i < kNumKeys; i += 5) put(i, "L0b");
    for (int i = 2; i < kNumKeys; i += 11) del(i);
    EXPECT_OK(db->Flush());
    for (int i = 0; i < kNumKeys; i += 13) put(i, "mem");
    // Files on two levels at least, more than one in L0.
    int levels = 0;
    for (int level = 0; level < kNumLevels; level++) {
      std::string files;
      EXPECT_TRUE(db->GetProperty("strata.num-files-at-level" + std::to_string(level), &files));
      if (level == 0) {
        EXPECT_NE(files, "0");
      }
      if (files != "0") levels++;
    }
    EXPECT_GE(levels, 2);
    db.reset();
    mem_->MarkAllDurable();
    for (int i = 0; i < kNumKeys + 5; i++) keys_.push_back(KeyOf(i));
  }

  static std::string KeyOf(int i) { return test::NumberKey(static_cast<uint64_t>(i), 5); }

  struct Outcome {
    uint64_t errors = 0;
    uint64_t wrong = 0;
    std::string first_wrong;
  };

  void Wrong(Outcome* out, const std::string& what) {
    if (out->wrong++ == 0) out->first_wrong = what;
  }

  // Point reads, then scans in both directions and from a few seeks. Every answer must be right
  // or an error; a scan that stops early must say why.
  void ReadEverything(DB* db, Outcome* out) {
    for (const std::string& key : keys_) {
      std::string value;
      const Status s = db->Get(ReadOptions(), key, &value);
      auto it = expected_.find(key);
      if (s.ok()) {
        if (it == expected_.end() || it->second != value) Wrong(out, "Get(" + key + ") value");
      } else if (s.IsNotFound()) {
        if (it != expected_.end()) Wrong(out, "Get(" + key + ") NotFound for a present key");
      } else {
        out->errors++;
      }
    }
    const std::vector<std::pair<std::string, std::string>> all(expected_.begin(), expected_.end());
    for (int start : {-1, 0, 40, 171}) {
      std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
      size_t pos = 0;
      if (start < 0) {
        it->SeekToFirst();
      } else {
        it->Seek(KeyOf(start));
        while (pos < all.size() && all[pos].first < KeyOf(start)) pos++;
      }
      for (; it->Valid(); it->Next(), pos++) {
        if (pos >= all.size() || it->key() != all[pos].first || it->value() != all[pos].second) {
          Wrong(out, "forward scan at entry " + std::to_string(pos));
          break;
        }
      }
      if (!it->status().ok()) {
        out->errors++;
      } else if (pos != all.size()) {
        Wrong(out, "forward scan ended early without an error at entry " + std::to_string(pos));
      }
    }
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    size_t left = all.size();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (left == 0 || it->key() != all[left - 1].first || it->value() != all[left - 1].second) {
        Wrong(out, "backward scan at entry " + std::to_string(left) + ": got " +
                       std::string(it->key()) + " want " +
                       (left == 0 ? std::string("end") : all[left - 1].first) + " status " +
                       it->status().ToString());
        break;
      }
      left--;
    }
    if (!it->status().ok()) {
      out->errors++;
    } else if (left != 0) {
      Wrong(out, "backward scan ended early without an error");
    }
  }

  void RunReadFaults(bool persistent) {
    // Count the reads of one pass over a freshly opened DB.
    uint64_t reads = 0;
    {
      auto fi = std::make_shared<FaultInjectionFileSystem>(mem_->CrashClone(CrashOptions()));
      std::unique_ptr<DB> db;
      ASSERT_OK(DB::Open(WorkloadOptions(fi), kDBPath, &db));
      fi->ResetCounters();
      Outcome clean;
      ReadEverything(db.get(), &clean);
      ASSERT_EQ(clean.wrong, 0u) << clean.first_wrong;
      ASSERT_EQ(clean.errors, 0u);
      reads = fi->CallCount(FsOp::kRead);
    }
    ASSERT_GT(reads, 20u);
    uint64_t fired = 0, errors = 0;
    for (uint64_t n = 1; n <= reads; n++) {
      SCOPED_TRACE("read " + std::to_string(n) + " of " + std::to_string(reads) + " fails" +
                   (persistent ? " and every later one" : ""));
      auto fi = std::make_shared<FaultInjectionFileSystem>(mem_->CrashClone(CrashOptions()));
      std::unique_ptr<DB> db;
      ASSERT_OK(DB::Open(WorkloadOptions(fi), kDBPath, &db));
      const int id = fi->AddFault(persistent ? FaultSpec::FromNth(FsOp::kRead, n)
                                             : FaultSpec::Once(FsOp::kRead, n));
      Outcome out;
      ReadEverything(db.get(), &out);
      EXPECT_EQ(out.wrong, 0u) << out.first_wrong;
      if (fi->FaultsFired(id) > 0) {
        fired++;
        // A failed read is never swallowed.
        EXPECT_GT(out.errors, 0u);
      }
      errors += out.errors;
      // Nothing of the error stays behind: with the fault gone every read succeeds.
      fi->ClearFaults();
      Outcome after;
      ReadEverything(db.get(), &after);
      EXPECT_EQ(after.wrong, 0u) << after.first_wrong;
      EXPECT_EQ(after.errors, 0u);
      if (HasFailure()) return;
    }
    std::printf(
        "[fault injection] reads (%s): %llu read calls failed in turn, %llu fired, "
        "%llu reads reported an error, 0 wrong answers\n",
        persistent ? "from call n on" : "once", static_cast<unsigned long long>(reads),
        static_cast<unsigned long long>(fired), static_cast<unsigned long long>(errors));
    EXPECT_EQ(fired, reads);
  }

  static constexpr int kNumKeys = 240;
  std::shared_ptr<MemFileSystem> mem_;
  Options options_;
  test::KV expected_;
  std::vector<std::string> keys_;
};

TEST_F(ReadErrorTest, EveryReadFailingOnceGivesAnErrorNeverAWrongAnswer) {
  RunReadFaults(/*persistent=*/false);
}

TEST_F(ReadErrorTest, ReadsFailingFromCallNOnGiveErrorsNeverWrongAnswers) {
  RunReadFaults(/*persistent=*/true);
}

// ---- Open on a failing file system
// ---------------------------------------------------------------

// An existing DB (SSTs on two levels, a MANIFEST of several edits, unflushed writes in the WAL)
// is opened with each call of the Open failing in turn: the Open fails cleanly with an IOError
// naming the file, or succeeds; either way the next Open finds every write.
TEST(DBFaultInjectionTest, OpenFailsCleanlyNamingTheFile) {
  auto mem = std::make_shared<MemFileSystem>();
  KV expected;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(WorkloadOptions(mem), kDBPath, &db));
    for (int i = 0; i < 60; i++) {
      const std::string key = KeyOf(i % 40);
      expected[key] = "value" + std::to_string(i);
      ASSERT_OK(db->Put(WriteOptions(), key, expected[key]));
      if (i == 20) ASSERT_OK(db->CompactRange(nullptr, nullptr));
      if (i == 40) ASSERT_OK(db->Flush());
    }
  }
  mem->MarkAllDurable();
  uint64_t open_calls = 0;
  {
    auto fi = std::make_shared<FaultInjectionFileSystem>(mem->CrashClone(CrashOptions()));
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(WorkloadOptions(fi), kDBPath, &db));
    open_calls = fi->TotalCalls();
  }
  uint64_t failed = 0;
  for (const bool persistent : {false, true}) {
    for (uint64_t n = 1; n <= open_calls; n++) {
      SCOPED_TRACE("call " + std::to_string(n) + (persistent ? " on" : "") + " fails");
      std::shared_ptr<MemFileSystem> clone = mem->CrashClone(CrashOptions());
      auto fi = std::make_shared<FaultInjectionFileSystem>(clone);
      auto hook = std::make_shared<HookFileSystem>(fi);
      std::mutex mu;
      std::string failed_path;
      hook->SetAfterHook([&](FsOp, const std::string& path, const Status& s) {
        std::lock_guard<std::mutex> lock(mu);
        if (IsInjected(s) && failed_path.empty()) failed_path = path;
      });
      fi->AddFault(persistent ? FaultSpec::FromNth(kAnyOp, n) : FaultSpec::Once(kAnyOp, n));
      std::unique_ptr<DB> db;
      const Status s = DB::Open(WorkloadOptions(hook), kDBPath, &db);
      if (!s.ok()) {
        failed++;
        EXPECT_EQ(db, nullptr);
        EXPECT_TRUE(s.IsIOError()) << s.ToString();
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_NE(s.ToString().find(failed_path), std::string::npos)
            << s.ToString() << " does not name " << failed_path;
      }
      db.reset();
      hook.reset();
      fi.reset();
      ASSERT_OK(DB::Open(WorkloadOptions(clone), kDBPath, &db));
      KV got;
      ASSERT_OK(test::ScanAll(db.get(), &got));
      EXPECT_EQ(got, expected) << test::DescribeDiff(expected, got);
      if (HasFailure()) return;
    }
  }
  std::printf(
      "[fault injection] Open: %llu calls, each failed once and from it on: %llu "
      "failed Opens\n",
      static_cast<unsigned long long>(open_calls), static_cast<unsigned long long>(failed));
  EXPECT_GT(failed, open_calls);
}

// ---- The background-error state
// ------------------------------------------------------------------

class BackgroundErrorTest : public testing::Test {
 protected:
  BackgroundErrorTest()
      : mem_(std::make_shared<MemFileSystem>()),
        fi_(std::make_shared<FaultInjectionFileSystem>(mem_)),
        hook_(std::make_shared<HookFileSystem>(fi_)) {
    options_ = WorkloadOptions(hook_);
    EXPECT_OK(DB::Open(options_, kDBPath, &db_));
    for (int i = 0; i < 50; i++) Put(KeyOf(i), "before-" + std::to_string(i), i % 2 == 0);
    EXPECT_OK(db_->Flush());
    for (int i = 50; i < 80; i++) Put(KeyOf(i), "before-" + std::to_string(i), false);
  }

  static std::string KeyOf(int i) { return test::NumberKey(static_cast<uint64_t>(i), 4); }

  void Put(const std::string& key, const std::string& value, bool sync) {
    WriteOptions wo;
    wo.sync = sync;
    EXPECT_OK(db_->Put(wo, key, value));
    acked_[key] = value;
  }

  std::string BackgroundError() {
    std::string bg;
    EXPECT_TRUE(db_->GetProperty("strata.background-error", &bg));
    return bg;
  }

  // The DB has just reported `error` for a write, Flush or CompactRange: it must now refuse
  // every write with it, keep serving reads, show it, never resync the failed file, and recover
  // on reopen.
  void CheckBackgroundErrorState(const Status& error, const std::string& in_doubt_key) {
    ASSERT_FALSE(error.ok());
    EXPECT_TRUE(IsInjected(error)) << error.ToString();
    EXPECT_EQ(BackgroundError(), error.ToString());
    const uint64_t wal_writes = fi_->CallCount(FsOp::kWrite);
    for (int i = 0; i < 3; i++) {
      for (const bool sync : {false, true}) {
        WriteOptions wo;
        wo.sync = sync;
        EXPECT_EQ(db_->Put(wo, "refused", "x").ToString(), error.ToString());
        EXPECT_EQ(db_->Delete(wo, KeyOf(1)).ToString(), error.ToString());
        WriteBatch batch;
        batch.Put("refused-batch", "x");
        EXPECT_EQ(db_->Write(wo, &batch).ToString(), error.ToString());
      }
    }
    EXPECT_EQ(db_->Flush().ToString(), error.ToString());
    EXPECT_EQ(db_->CompactRange(nullptr, nullptr).ToString(), error.ToString());
    EXPECT_EQ(fi_->CallCount(FsOp::kWrite), wal_writes) << "a refused write reached a file";
    // Reads are served.
    KV got;
    ASSERT_OK(test::ScanAll(db_.get(), &got));
    KV want = acked_;
    got.erase(in_doubt_key);
    EXPECT_EQ(got, want) << test::DescribeDiff(want, got);
    std::vector<std::string> keys;
    for (const auto& [k, v] : acked_) keys.push_back(k);
    keys.push_back("refused");
    EXPECT_EQ(test::CheckGets(db_.get(), acked_, keys), "");
    EXPECT_EQ(BackgroundError(), error.ToString());
    EXPECT_EQ(hook_->SyncsAfterFailedSync(), 0u);

    // Reopen: the error is gone, every acknowledged write is there, nothing refused is.
    db_.reset();
    fi_->ClearFaults();
    ASSERT_OK(DB::Open(options_, kDBPath, &db_));
    EXPECT_EQ(BackgroundError(), "OK");
    ASSERT_OK(test::ScanAll(db_.get(), &got));
    got.erase(in_doubt_key);
    EXPECT_EQ(got, want) << test::DescribeDiff(want, got);
    Put("after-reopen", "y", true);
    ASSERT_OK(db_->Flush());
    std::string value;
    ASSERT_OK(db_->Get(ReadOptions(), "after-reopen", &value));
    EXPECT_EQ(value, "y");
    EXPECT_EQ(hook_->SyncsAfterFailedSync(), 0u);
  }

  std::shared_ptr<MemFileSystem> mem_;
  std::shared_ptr<FaultInjectionFileSystem> fi_;
  std::shared_ptr<HookFileSystem> hook_;
  Options options_;
  std::unique_ptr<DB> db_;
  KV acked_;
};

TEST_F(BackgroundErrorTest, FailedWalSync) {
  fi_->AddFault(FaultSpec::Once(FsOp::kSync, 1).OnlySuffix(".log"));
  WriteOptions sync;
  sync.sync = true;
  const Status s = db_->Put(sync, "in-doubt", "z");
  ASSERT_NO_FATAL_FAILURE(CheckBackgroundErrorState(s, "in-doubt"));
}

TEST_F(BackgroundErrorTest, FailedWalAppendOutOfSpace) {
  fi_->AddFault(FaultSpec::Once(FsOp::kWrite, 1).OnlySuffix(".log").NoSpace());
  const Status s = db_->Put(WriteOptions(), "in-doubt", "z");
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  ASSERT_NO_FATAL_FAILURE(CheckBackgroundErrorState(s, "in-doubt"));
}

TEST_F(BackgroundErrorTest, FailedSstWriteDuringFlush) {
  fi_->AddFault(FaultSpec::Once(FsOp::kWrite, 2).OnlySuffix(".sst"));
  ASSERT_NO_FATAL_FAILURE(CheckBackgroundErrorState(db_->Flush(), ""));
}

TEST_F(BackgroundErrorTest, FailedSstSyncDuringFlush) {
  fi_->AddFault(FaultSpec::Once(FsOp::kSync, 1).OnlySuffix(".sst"));
  ASSERT_NO_FATAL_FAILURE(CheckBackgroundErrorState(db_->Flush(), ""));
}

TEST_F(BackgroundErrorTest, FailedManifestSyncDuringFlush) {
  fi_->AddFault(FaultSpec::Once(FsOp::kSync, 1).OnlyPaths([](std::string_view path) {
    return path.find("/MANIFEST-") != std::string_view::npos;
  }));
  ASSERT_NO_FATAL_FAILURE(CheckBackgroundErrorState(db_->Flush(), ""));
}

TEST_F(BackgroundErrorTest, FailedCompactionOutputWrite) {
  for (int i = 0; i < 80; i += 2) Put(KeyOf(i), "newer-" + std::to_string(i), false);
  ASSERT_OK(db_->Flush());  // overlaps the first flush: no trivial move
  const int id = fi_->AddFault(FaultSpec::Once(FsOp::kWrite, 3).OnlySuffix(".sst").NoSpace());
  const Status s = db_->CompactRange(nullptr, nullptr);
  EXPECT_EQ(fi_->FaultsFired(id), 1u);
  ASSERT_NO_FATAL_FAILURE(CheckBackgroundErrorState(s, ""));
}

TEST_F(BackgroundErrorTest, FailedWalSyncAtMemtableSwitch) {
  // Flush switches the memtable, which syncs the old WAL first.
  fi_->AddFault(FaultSpec::Once(FsOp::kSync, 1).OnlySuffix(".log"));
  ASSERT_NO_FATAL_FAILURE(CheckBackgroundErrorState(db_->Flush(), ""));
}

// ---- Regressions
// ---------------------------------------------------------------------------------

// Creating a DB: CURRENT is renamed into place, then the directory sync fails. The rename may
// have reached the disk, so CURRENT may name the new MANIFEST: deleting that MANIFEST on the
// error path left a DB that no later Open accepted ("CURRENT names a missing MANIFEST").
TEST(DBFaultInjectionTest, FailedDirSyncWhileCreatingLeavesAnOpenableDB) {
  auto mem = std::make_shared<MemFileSystem>();
  auto fi = std::make_shared<FaultInjectionFileSystem>(mem);
  // The first sync of the DB directory is the one after CURRENT's rename.
  fi->AddFault(FaultSpec::Once(FsOp::kDirSync, 1).OnlyPaths([](std::string_view path) {
    return path == kDBPath;
  }));
  Options options = WorkloadOptions(fi);
  std::unique_ptr<DB> db;
  const Status s = DB::Open(options, kDBPath, &db);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(kDBPath), std::string::npos) << s.ToString();
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  ASSERT_OK(db->Put(WriteOptions(), "k", "v"));
  db.reset();
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "k", &value));
  EXPECT_EQ(value, "v");
}

// A backward scan collects each key's versions oldest first. A read error between the version
// of "b" in a lower level and its deletion in an upper level ended the collection early, and the
// iterator stayed Valid() on the deleted key with its old value (status() showed the error, but
// callers stop at !Valid()). An error must end the iteration: !Valid(), status() non-ok.
TEST(DBFaultInjectionTest, BackwardScanReadErrorNeverResurrectsADeletedKey) {
  auto mem = std::make_shared<MemFileSystem>();
  auto fi = std::make_shared<FaultInjectionFileSystem>(mem);
  Options options = WorkloadOptions(fi);
  options.block_size = 256;
  options.block_cache_size = 0;  // every block read reaches the file system
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDBPath, &db));
  // "a" and "b" in separate data blocks of one table, deeper than the deletion of "b".
  ASSERT_OK(db->Put(WriteOptions(), "a", std::string(300, 'a')));
  ASSERT_OK(db->Put(WriteOptions(), "b", std::string(300, 'b')));
  ASSERT_OK(db->CompactRange(nullptr, nullptr));
  ASSERT_OK(db->Delete(WriteOptions(), "b"));
  ASSERT_OK(db->Flush());
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "a", &value));  // opens both tables
  ASSERT_TRUE(db->Get(ReadOptions(), "b", &value).IsNotFound());

  // SeekToLast reads the last block of each table; the step back from "b"'s old version to "a"
  // (the third read) fails.
  const int id = fi->AddFault(FaultSpec::FromNth(FsOp::kRead, 3));
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  it->SeekToLast();
  EXPECT_EQ(fi->FaultsFired(id), 1u);
  EXPECT_FALSE(it->Valid()) << "positioned on " << it->key() << " despite "
                            << it->status().ToString();
  EXPECT_TRUE(it->status().IsIOError()) << it->status().ToString();
}

}  // namespace
}  // namespace strata
