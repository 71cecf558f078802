// VersionSet: the DB's current Version, the MANIFEST that records how it came to be, and the
// counters that must survive a restart (next file number, last sequence, live WAL number).
//
// Every change of the file set is one VersionEdit applied by LogAndApply: it is appended to the
// MANIFEST and synced before the new Version is installed, so the installed state is always the
// durable state. A new MANIFEST (started on Open, and when the current one grows past a limit)
// begins with a snapshot of the whole state, is synced, and only then does CURRENT point at it
// (write temp file, fsync, rename, fsync dir).
//
// Thread safety: methods documented "REQUIRES: DB mutex" need the mutex given to the
// constructor (they assert it for the thread-safety analysis, except the three that release it
// around I/O, which the analysis cannot follow across objects); the counters are atomics readable
// without it. LogAndApply calls are serialized internally: a
// second caller waits for the first to finish.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "strata/file_system.h"
#include "strata/options.h"
#include "strata/status.h"
#include "util/mutex.h"
#include "version/version.h"
#include "version/version_edit.h"
#include "wal/log_writer.h"

namespace strata {

class TableCache;

class VersionSet {
 public:
  // Everything passed in must outlive the VersionSet.
  VersionSet(std::string dbname, const Options* options, FileSystem* fs, TableCache* table_cache,
             const InternalKeyComparator* icmp, Mutex* mu);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  ~VersionSet();

  // Writes the MANIFEST of a new, empty DB and points CURRENT at it.
  // REQUIRES: DB mutex.
  Status CreateNew() NO_THREAD_SAFETY_ANALYSIS;

  // Loads the state recorded by CURRENT and the MANIFEST it names. Corruption (naming the file
  // and offset) for damage anywhere but a torn tail of the MANIFEST (an edit whose write never
  // completed, so never acknowledged), and for a damaged last edit that did take effect (the WAL
  // the state before it needs is gone); NotSupported for a newer format; InvalidArgument for a
  // comparator mismatch.
  // REQUIRES: DB mutex.
  Status Recover() NO_THREAD_SAFETY_ANALYSIS;

  // Applies *edit to the current version, makes it durable in the MANIFEST (starting a new
  // MANIFEST if none is open or the open one is too big) and installs the result as current.
  // Fills in the edit's next-file number and last sequence. Releases mu_ while doing I/O.
  // On failure the current version is unchanged and the MANIFEST is left closed: the next call
  // starts a new one.
  // REQUIRES: DB mutex.
  Status LogAndApply(VersionEdit* edit) NO_THREAD_SAFETY_ANALYSIS;

  // Reads the live MANIFEST whole, checking every record's checksum and that it decodes as a
  // version edit; Corruption (file, offset) for anything else, a torn tail included (every edit
  // of the live MANIFEST was synced). Waits for, and holds off, LogAndApply meanwhile.
  // REQUIRES: DB mutex (released while reading).
  Status VerifyManifest() NO_THREAD_SAFETY_ANALYSIS;

  // REQUIRES: DB mutex.
  const std::shared_ptr<const Version>& current() const {
    mu_->AssertHeld();
    return current_;
  }

  // True while a LogAndApply is writing the MANIFEST (its version is not installed yet).
  // REQUIRES: DB mutex.
  bool ManifestBusy() const {
    mu_->AssertHeld();
    return manifest_busy_;
  }
  // REQUIRES: DB mutex.
  void WaitForManifestIdle() {
    mu_->AssertHeld();
    while (manifest_busy_) manifest_cv_.Wait();
  }

  uint64_t NewFileNumber() { return next_file_number_.fetch_add(1); }
  // The number the next NewFileNumber() will return (at the time of the call).
  uint64_t PeekNextFileNumber() const { return next_file_number_.load(); }
  // Ensures future file numbers are > number (used by recovery for WAL numbers).
  void MarkFileNumberUsed(uint64_t number);
  uint64_t ManifestFileNumber() const { return manifest_file_number_; }
  // WALs numbered below this are obsolete (their data is in SSTs).
  uint64_t LogNumber() const { return log_number_; }

  SequenceNumber LastSequence() const { return last_sequence_.load(std::memory_order_acquire); }
  void SetLastSequence(SequenceNumber s) { last_sequence_.store(s, std::memory_order_release); }

  // Adds the numbers of all files referenced by any live version (current, or held by an
  // iterator or compaction).
  // REQUIRES: DB mutex.
  void AddLiveFiles(std::set<uint64_t>* live);

  const InternalKeyComparator* icmp() const { return icmp_; }
  const Options* options() const { return options_; }
  TableCache* table_cache() const { return table_cache_; }

  // Largest size of a MANIFEST before a new one is started.
  static constexpr uint64_t kMaxManifestFileSize = uint64_t{64} << 20;

 private:
  class Builder;

  Status WriteSnapshot(log::Writer* log);
  Status StartNewManifest(uint64_t manifest_number);
  Status ReadCurrentFile(std::string* manifest_name, uint64_t* manifest_number);
  void Install(std::shared_ptr<const Version> v) REQUIRES(mu_);

  const std::string dbname_;
  const Options* const options_;
  FileSystem* const fs_;
  TableCache* const table_cache_;
  const InternalKeyComparator* const icmp_;
  Mutex* const mu_;
  CondVar manifest_cv_;

  std::atomic<uint64_t> next_file_number_{2};
  std::atomic<SequenceNumber> last_sequence_{0};
  std::atomic<uint64_t> manifest_file_number_{0};
  std::atomic<uint64_t> log_number_{0};

  // The open MANIFEST (null until the first LogAndApply after Open, or after a failure).
  // Used by one LogAndApply at a time (manifest_busy_), outside mu_.
  std::unique_ptr<WritableFile> manifest_file_;
  std::unique_ptr<log::Writer> manifest_log_;
  bool manifest_busy_ GUARDED_BY(mu_) = false;

  std::shared_ptr<const Version> current_ GUARDED_BY(mu_);
  std::vector<std::weak_ptr<const Version>> live_versions_ GUARDED_BY(mu_);
};

}  // namespace strata
