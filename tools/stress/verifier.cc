#include "stress/verifier.h"

#include <cstdio>
#include <map>
#include <vector>

#include "stress/key_value.h"
#include "stress/read_check.h"
#include "stress/report.h"

namespace strata::stress {
namespace {

constexpr uint64_t kMaxProblemsPrinted = 20;

class Verification {
 public:
  Verification(DB* db, ExpectedState* oracle)
      : db_(db), oracle_(oracle), found_(oracle->num_keys()) {}

  VerifyResult Run(bool resolve_pending) {
    CheckPointReads();
    CheckBatches();
    CheckScan(Direction::kForward);
    CheckScan(Direction::kBackward);
    if (result_.ok() && resolve_pending) {
      for (uint64_t k = 0; k < oracle_->num_keys(); k++) {
        if (oracle_->HasPending(k)) oracle_->Resolve(k, found_[k]);
      }
    }
    if (problems_ > kMaxProblemsPrinted) {
      std::fprintf(stderr, "... and %llu more problems\n",
                   static_cast<unsigned long long>(problems_ - kMaxProblemsPrinted));
    }
    return result_;
  }

 private:
  void Problem(const std::string& what) {
    if (++problems_ <= kMaxProblemsPrinted) std::fprintf(stderr, "verify: %s\n", what.c_str());
  }

  void CheckPointReads() {
    const ReadOptions ro;
    for (uint64_t k = 0; k < oracle_->num_keys(); k++) {
      const KeyState found = ReadKey(db_, ro, k, "verify");
      found_[k] = found;
      result_.keys++;
      if (found.exists()) result_.present++;
      CheckKey(k, found);
    }
  }

  void CheckKey(uint64_t k, KeyState found) {
    const KeyState committed = oracle_->Committed(k);
    const bool has_pending = oracle_->HasPending(k);
    const KeyState pending = oracle_->Pending(k);
    if (has_pending) {
      result_.pending++;
      if (pending.Matches(found)) result_.pending_applied++;
      if (pending.Matches(found) || committed.Matches(found)) return;
    } else if (committed.Matches(found)) {
      return;
    }
    // The newest acknowledged state is missing if the DB shows an older version of the key (or
    // nothing where a write was acknowledged).
    const bool older = found.exists() ? found.version() < committed.version() : committed.exists();
    if (older)
      result_.lost++;
    else
      result_.wrong++;
    Problem(DescribeKey(k) + ": expected " + committed.ToString() +
            (has_pending ? " or (pending) " + pending.ToString() : std::string()) + ", found " +
            (found.exists() ? found.ToString() : std::string("absent")) +
            (older ? " -- an acknowledged write was lost" : "") +
            (found.version() > oracle_->High(k) ? " -- a version never written" : ""));
  }

  // The keys of a batch that was in flight at the crash must all be old or all be new. Keys whose
  // old and new state look the same (deleting an absent key) say nothing and are skipped.
  void CheckBatches() {
    struct Outcome {
      std::vector<uint64_t> applied, not_applied;
    };
    std::map<uint64_t, Outcome> batches;
    for (uint64_t k = 0; k < oracle_->num_keys(); k++) {
      const uint64_t batch = oracle_->HasPending(k) ? oracle_->PendingBatch(k) : 0;
      if (batch == 0) continue;
      const bool is_new = oracle_->Pending(k).Matches(found_[k]);
      const bool is_old = oracle_->Committed(k).Matches(found_[k]);
      if (is_new == is_old) continue;
      (is_new ? batches[batch].applied : batches[batch].not_applied).push_back(k);
    }
    result_.pending_batches = batches.size();
    for (const auto& [id, outcome] : batches) {
      if (outcome.applied.empty() || outcome.not_applied.empty()) continue;
      result_.wrong++;
      Problem("batch " + std::to_string(id) +
              " applied in part: " + DescribeKey(outcome.applied.front()) +
              " has its new state but " + DescribeKey(outcome.not_applied.front()) +
              " its old one (" + std::to_string(outcome.applied.size()) + " new, " +
              std::to_string(outcome.not_applied.size()) + " old)");
    }
  }

  // A full scan must show exactly what the point reads found.
  void CheckScan(Direction dir) {
    const char* name = dir == Direction::kForward ? "forward scan" : "backward scan";
    const ReadOptions ro;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    const uint64_t n = oracle_->num_keys();
    dir == Direction::kForward ? it->SeekToFirst() : it->SeekToLast();
    const std::vector<ScanEntry> entries = WalkWindow(it.get(), dir, 0, n, *oracle_, name);
    std::vector<KeyState> scanned(n);
    for (const ScanEntry& e : entries) scanned[e.index] = e.found;
    for (uint64_t k = 0; k < n; k++) {
      if (scanned[k] == found_[k]) continue;
      result_.wrong++;
      Problem(std::string(name) + ": " + DescribeKey(k) + ": Get found " +
              (found_[k].exists() ? found_[k].ToString() : std::string("absent")) + ", the scan " +
              (scanned[k].exists() ? scanned[k].ToString() : "absent"));
    }
  }

  DB* const db_;
  ExpectedState* const oracle_;
  std::vector<KeyState> found_;  // what Get returned, per key
  VerifyResult result_;
  uint64_t problems_ = 0;
};

}  // namespace

std::string VerifyResult::ToString() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "verify: keys=%llu present=%llu pending=%llu pending_applied=%llu "
                "pending_batches=%llu lost=%llu wrong=%llu",
                static_cast<unsigned long long>(keys), static_cast<unsigned long long>(present),
                static_cast<unsigned long long>(pending),
                static_cast<unsigned long long>(pending_applied),
                static_cast<unsigned long long>(pending_batches),
                static_cast<unsigned long long>(lost), static_cast<unsigned long long>(wrong));
  return buf;
}

VerifyResult VerifyDatabase(DB* db, ExpectedState* oracle, bool resolve_pending) {
  Verification v(db, oracle);
  return v.Run(resolve_pending);
}

}  // namespace strata::stress
