// FaultInjectionFileSystem: a FileSystem wrapper for tests that fails chosen calls, counts calls,
// and simulates a power loss on top of any base file system (POSIX included).
//
// Error injection. Every call is of one FsOp kind and is counted (CallCount). A FaultSpec names
// the calls it applies to (one kind or any, optionally only some paths) and when they fail: once
// at the nth matching call, at every matching call from the nth on, or each with a probability
// drawn from a seeded generator. Matching calls are counted from when the fault is added. The
// error is an IOError, either EIO-like ("...: Input/output error (injected)") or ENOSPC-like
// ("...: No space left on device (injected)"). A failed call has no effect on the base file
// system, except Close, which still releases the base file.
//
// Like the POSIX file, a WritableFile whose Append, Flush or Sync failed (injected or not) is
// broken: every later Append/Flush/Sync/Close returns that first error.
//
// A typical exhaustive loop runs a workload once, reads TotalCalls() (or CallCount(op)) = N, then
// for i in 1..N reruns it on a fresh wrapper with AddFault(FaultSpec::Once(kAnyOp, i)) and checks
// that the error surfaces and nothing acknowledged is lost.
//
// Switches: SetDropWrites(true) makes Append/Flush/Sync/SyncDir report success while doing
// nothing (a dead disk that still acknowledges writes); SetActive(false) makes every call fail.
//
// Power loss. The wrapper remembers, for each file it created or truncated, how many bytes were
// appended, flushed and synced; for each directory, the entry changes made since its last
// successful SyncDir. SimulatePowerLoss(options) then rewrites the base file system into the state
// a power loss would leave (see CrashOptions in src/fs/crash_options.h):
//   - a tracked file is cut to its synced length; per options it keeps a random prefix (or all)
//     of the bytes flushed after that, as written, zeroed or garbage. Bytes appended but never
//     flushed by the program are never kept. Files the wrapper did not write are left as they are.
//   - directory changes not covered by a SyncDir of every directory they touch are undone, newest
//     first: a created file or directory is removed (a directory with all its contents); a
//     removed directory is re-created (empty); a rename is reversed, and a target it replaced
//     comes back with its own durable bytes; a deleted file comes back with its durable bytes.
//     Deletions can be undone because the wrapper does not delete at once: RemoveFile renames
//     the file to a hidden name "<path>.strata-fi-trash-<n>" in the same directory (GetChildren
//     hides these) and removes it for good when a SyncDir makes the deletion durable, when its
//     directory is removed (RemoveDir; such deletions can then no longer be undone), or when the
//     wrapper is destroyed. A rename over an existing file first reads the replaced file into
//     memory, so the rename stays one atomic rename on the base (cheap for CURRENT-like files,
//     costly for large ones). A process killed with deletions pending leaves hidden files behind
//     (strata ignores names it does not own).
//   - it cannot undo what it never saw: changes made directly on the base, a rename of a
//     directory over an existing (empty) one (the replaced directory is not restored), or data
//     rewritten in place outside the wrapper.
//   Crash-cloning a MemFileSystem used as the base shows the wrapper's own mechanics: a deletion
//   that survives may appear as a leftover hidden file.
//   - afterwards every file handle and lock obtained before fails (handles) or is released
//     (locks), open writable files are closed on the base first (so their buffers cannot land
//     later), and the directories touched are synced on the base so the new state is durable.
//   Call it when the workload is quiescent (DB closed or abandoned): it is not atomic with
//   respect to concurrent calls.
//
// Thread safety: all methods may be called concurrently; path filters are called under an
// internal lock and must not call back into the wrapper. No clocks and no threads inside.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/crash_options.h"
#include "strata/file_system.h"

namespace strata {

// The kinds of calls counted and failed by FaultInjectionFileSystem.
enum class FsOp : unsigned char {
  kRead,       // SequentialFile::Read/Skip, RandomAccessFile::Read
  kWrite,      // WritableFile::Append/Flush
  kSync,       // WritableFile::Sync
  kDirSync,    // SyncDir
  kRename,     // RenameFile
  kOpen,       // NewSequentialFile/NewRandomAccessFile/NewWritableFile
  kClose,      // WritableFile::Close (explicit, or by destroying an unclosed file)
  kDelete,     // RemoveFile/RemoveDir
  kLock,       // LockFile
  kList,       // GetChildren
  kStat,       // FileExists/IsDirectory/GetFileSize
  kCreateDir,  // CreateDirIfMissing
};
inline constexpr size_t kNumFsOps = 12;
// For FaultSpec: calls of every kind.
inline constexpr std::optional<FsOp> kAnyOp = std::nullopt;

std::string_view FsOpName(FsOp op);

// Which calls fail, when, and how.
struct FaultSpec {
  enum class Mode : unsigned char {
    kOnce,         // the nth matching call fails
    kFromNth,      // the nth matching call and every later one fail
    kProbability,  // each matching call fails with `probability`
  };
  enum class Error : unsigned char {
    kIOError,  // like EIO
    kNoSpace,  // like ENOSPC: the message says "No space left on device"
  };

  std::optional<FsOp> op = kAnyOp;  // the kind of calls matched; kAnyOp: every kind
  // Only calls on paths it accepts match (for a rename: either path). Unset: every path.
  std::function<bool(std::string_view path)> path_filter;
  Mode mode = Mode::kOnce;
  uint64_t nth = 1;  // 1-based, among matching calls since the fault was added
  double probability = 0;
  uint64_t seed = 0;  // for kProbability: the same seed and calls give the same failures
  Error error = Error::kIOError;

  static FaultSpec Once(std::optional<FsOp> op, uint64_t nth);
  static FaultSpec FromNth(std::optional<FsOp> op, uint64_t nth);
  static FaultSpec Probability(std::optional<FsOp> op, double probability, uint64_t seed);
  // Chainable refinements: FaultSpec::Once(FsOp::kWrite, 3).OnlySuffix(".log").NoSpace().
  FaultSpec& OnlyPaths(std::function<bool(std::string_view path)> filter);
  FaultSpec& OnlySuffix(std::string suffix);
  FaultSpec& NoSpace();
};

class FaultInjectionFileSystem final : public FileSystem {
 public:
  explicit FaultInjectionFileSystem(std::shared_ptr<FileSystem> base);
  // Removes the hidden files of deletions not yet made final.
  ~FaultInjectionFileSystem() override;
  FaultInjectionFileSystem(const FaultInjectionFileSystem&) = delete;
  FaultInjectionFileSystem& operator=(const FaultInjectionFileSystem&) = delete;

  const std::shared_ptr<FileSystem>& base() const { return base_; }

  // ---- Error injection ----
  // Returns an id for RemoveFault/FaultMatches/FaultsFired.
  int AddFault(FaultSpec spec);
  void RemoveFault(int id);
  // Removes every fault (the switches below are left as they are).
  void ClearFaults();
  // Calls that matched fault `id` since it was added, and how many of them it failed.
  uint64_t FaultMatches(int id) const;
  uint64_t FaultsFired(int id) const;

  // ---- Counters (since construction or ResetCounters) ----
  uint64_t CallCount(FsOp op) const;
  uint64_t TotalCalls() const;
  uint64_t InjectedErrors() const;
  void ResetCounters();

  // ---- Switches ----
  void SetDropWrites(bool drop);
  // While inactive every call (file handles included) fails with an IOError.
  void SetActive(bool active);

  // ---- Power loss ----
  // Rewrites the base file system as a power loss now would leave it (file comment). Returns
  // the first error met on the base; it carries on past errors to undo as much as it can.
  Status SimulatePowerLoss(const CrashOptions& options = CrashOptions());

  // ---- FileSystem ----
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status FileExists(const std::string& path) override;
  Status IsDirectory(const std::string& path, bool* is_dir) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status GetFileSize(const std::string& path, uint64_t* size) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status RenameFile(const std::string& src, const std::string& target) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;

  // Implementation, defined in fault_injection_fs.cc; shared with the file handles so that they
  // may outlive the wrapper.
  class Core;

 private:
  const std::shared_ptr<FileSystem> base_;
  const std::shared_ptr<Core> core_;
};

}  // namespace strata
