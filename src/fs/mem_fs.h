// An in-memory FileSystem that knows what is durable, and can clone the state a machine crash
// would leave behind.
//
// MemFileSystem (also what NewMemFileSystem() returns) behaves like a POSIX file system held in
// memory: directories are real (creating a file in a missing directory fails with NotFound),
// files are inodes that several names or open handles may share, rename replaces its target
// atomically, a removed file stays readable and writable through handles opened before, and
// LockFile locks are exclusive within the file system.
//
// Durability is tracked the way a disk would see it:
//   - a WritableFile buffers appends inside the handle until Flush/Sync/Close; flushed bytes are
//     "in the OS" (visible to readers, survive a process crash), synced bytes are durable;
//   - NewWritableFile on an existing file truncates it, and the truncation counts as durable at
//     once (a crash before the next Sync leaves an empty file: the worst case real file systems
//     produce, and the one callers must survive);
//   - each directory keeps its entries as of its last SyncDir plus the changes (create, delete,
//     rename) made since. A rename within one directory is one change, so it is never half
//     applied; a rename across directories is a change in each, made durable by each one's
//     SyncDir. A new directory's own entry is durable once its parent is synced.
//
// CrashClone(options) builds a NEW MemFileSystem from that: each directory as of its last SyncDir
// (plus, per CrashOptions, some or all of the later changes), each file reachable from it
// holding its synced bytes (plus, per CrashOptions, part of its unsynced tail). So an unsynced
// creation disappears, an unsynced rename is undone (the old name comes back, a replaced target
// gets back its own durable bytes), an unsynced delete is undone (the file comes back with its
// durable bytes, possibly none). The original is unchanged, so one run can be crash-cloned at
// many points. The clone holds no locks and no open files, and everything in it is durable.
//
// Thread safety: all methods, and CrashClone, may be called concurrently; RandomAccessFile reads
// may run concurrently with appends to the same file. Handles keep their file alive and stay
// valid after the file system is destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fs/crash_options.h"
#include "strata/file_system.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace strata {

class MemFileSystem;

// The crash-simulation side of an in-memory file system.
class CrashSimulation {
 public:
  // fs as a CrashSimulation if it is an in-memory file system (from NewMemFileSystem(), a
  // MemFileSystem or a CrashClone), else nullptr.
  static CrashSimulation* Of(FileSystem* fs);

  // A new, independent file system holding what a power loss at this instant would leave (see
  // the file comment). Data still buffered in open WritableFile handles is never included.
  virtual std::shared_ptr<MemFileSystem> CrashClone(const CrashOptions& options) const = 0;

  // Marks everything the file system holds now as durable, as if every file and directory had
  // been synced: lets a test set up a starting state cheaply and crash-test only what follows.
  virtual void MarkAllDurable() = 0;

 protected:
  ~CrashSimulation() = default;
};

class MemFileSystem final : public FileSystem, public CrashSimulation {
 public:
  MemFileSystem();
  ~MemFileSystem() override;
  MemFileSystem(const MemFileSystem&) = delete;
  MemFileSystem& operator=(const MemFileSystem&) = delete;

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

  std::shared_ptr<MemFileSystem> CrashClone(const CrashOptions& options) const override;
  void MarkAllDurable() override;

  // Implementation details, defined in mem_fs.cc.
  struct Node;  // an inode: a file or a directory
  using NodePtr = std::shared_ptr<Node>;
  struct LockTable;
  struct Resolved;

 private:
  // Finds the node at path; NotFound if it (or a parent) is missing, IOError if a parent is a
  // regular file. `op` names the operation in error messages.
  Status Find(const std::string& path, std::string_view op, NodePtr* node) const REQUIRES(mu_);
  // Finds path's parent directory and the last component of path.
  Status FindParent(const std::string& path, std::string_view op, Resolved* r) const REQUIRES(mu_);
  // Applies one change of dir's entries (name -> node, null removes) and remembers it as not yet
  // durable.
  void ChangeEntries(Node* dir, std::vector<std::pair<std::string, NodePtr>> entries) REQUIRES(mu_);

  mutable Mutex mu_;
  NodePtr root_ GUARDED_BY(mu_);
  // Shared with the FileLocks handed out, which may outlive this object.
  const std::shared_ptr<LockTable> locks_;
};

}  // namespace strata
