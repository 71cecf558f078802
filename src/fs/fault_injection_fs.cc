#include "fs/fault_injection_fs.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include "util/mutex.h"
#include "util/random.h"

namespace strata {

namespace {

constexpr std::string_view kTrashMarker = ".strata-fi-trash-";
constexpr uint64_t kNoEpoch = UINT64_MAX;  // the call is not made through a file handle

// Collapses repeated '/' and "." components and drops a trailing '/', so that two spellings of
// one path track as one. ".." is kept: resolving it needs the file system.
std::string NormalizePath(std::string_view path) {
  std::string out;
  const bool absolute = !path.empty() && path[0] == '/';
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") {
      if (!out.empty() || absolute) out.push_back('/');
      out.append(part);
    }
    start = end + 1;
  }
  if (out.empty()) return absolute ? "/" : ".";
  return out;
}

// The directory holding a normalized path.
std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsTrashName(std::string_view name) { return name.find(kTrashMarker) != std::string::npos; }

Status ReadWholeFile(FileSystem* fs, const std::string& path, std::string* data) {
  data->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = fs->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  constexpr size_t kChunk = size_t{64} << 10;
  std::string scratch(kChunk, '\0');
  while (true) {
    std::string_view chunk;
    s = file->Read(kChunk, &chunk, scratch.data());
    if (!s.ok() || chunk.empty()) return s;
    data->append(chunk);
  }
}

Status WriteWholeFile(FileSystem* fs, const std::string& path, std::string_view data) {
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok()) s = file->Sync();
  const Status close_status = file->Close();
  return s.ok() ? close_status : s;
}

// Removes path, and everything below it if it is a directory.
Status RemoveTree(FileSystem* fs, const std::string& path) {
  bool is_dir = false;
  Status s = fs->IsDirectory(path, &is_dir);
  if (!s.ok()) return s;
  if (!is_dir) return fs->RemoveFile(path);
  std::vector<std::string> children;
  s = fs->GetChildren(path, &children);
  for (size_t i = 0; s.ok() && i < children.size(); i++) {
    s = RemoveTree(fs, path + "/" + children[i]);
  }
  return s.ok() ? fs->RemoveDir(path) : s;
}

// A uniform double in [0, 1).
double UnitDouble(Random* rnd) { return static_cast<double>(rnd->Next64() >> 11) * 0x1.0p-53; }

Status InjectedError(FaultSpec::Error error, std::string_view path, FsOp op) {
  const std::string what = error == FaultSpec::Error::kNoSpace
                               ? "No space left on device (injected)"
                               : "Input/output error (injected)";
  return Status::IOError(path, std::string(FsOpName(op)) + ": " + what);
}

// What the wrapper knows of a file it created or truncated. Guarded by Core::mu_.
struct FileState {
  uint64_t appended = 0;  // bytes handed to the base file
  uint64_t flushed = 0;   // bytes the program flushed (Flush/Sync/Close): in the OS
  uint64_t synced = 0;    // bytes covered by the last successful Sync: durable
};

// Splits a file's bytes into the durable ones and the flushed-but-unsynced ones after them, per
// its tracking. A file the wrapper never wrote (state == null) is durable as a whole.
void SplitDurable(std::string_view data, const FileState* state, std::string* durable,
                  std::string* unsynced) {
  const size_t synced =
      state == nullptr ? data.size() : std::min<uint64_t>(state->synced, data.size());
  const size_t flushed =
      state == nullptr ? data.size() : std::clamp<uint64_t>(state->flushed, synced, data.size());
  durable->assign(data.substr(0, synced));
  unsynced->assign(data.substr(synced, flushed - synced));
}

// A directory change not yet durable.
struct DirOp {
  enum class Kind : unsigned char { kCreateFile, kCreateDir, kDelete, kRename, kRemoveDir };
  Kind kind;
  std::string path;    // what was created/deleted/removed; for a rename, the source
  std::string target;  // kRename: the new name
  // kDelete: where the deleted file waits; empty once it is gone for good.
  std::string trash;
  // The directories whose SyncDir has not yet covered this change; durable once empty.
  std::set<std::string> unsynced_dirs;
  // kRename over an existing file: that file's bytes, restored if the rename is undone.
  bool replaced = false;
  std::string replaced_durable = {};
  std::string replaced_unsynced = {};  // flushed after its last Sync
};

// The base file behind an open WritableFile. SimulatePowerLoss closes it from another thread, so
// it sits behind a mutex. Lock order: Core::mu_ before WriterSlot::mu, and a handle never takes
// Core::mu_ while it holds WriterSlot::mu.
struct WriterSlot {
  Mutex mu;
  std::unique_ptr<WritableFile> file GUARDED_BY(mu);
};

struct LockSlot {
  Mutex mu;
  std::unique_ptr<FileLock> lock GUARDED_BY(mu);
};

}  // namespace

class FaultInjectionFileSystem::Core : public std::enable_shared_from_this<Core> {
 public:
  explicit Core(std::shared_ptr<FileSystem> base) : base_(std::move(base)) {}

  // Counts a call and decides whether it fails: returns the error to report, or ok. `epoch` is
  // the handle's epoch for calls through a file handle.
  Status BeginCall(FsOp op, std::string_view path, std::string_view path2 = {},
                   uint64_t epoch = kNoEpoch) EXCLUDES(mu_);

  bool drop_writes() const EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return drop_writes_;
  }
  uint64_t epoch() const EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return epoch_;
  }

  // Faults, counters and switches.
  int AddFault(FaultSpec spec) EXCLUDES(mu_);
  void RemoveFault(int id) EXCLUDES(mu_);
  void ClearFaults() EXCLUDES(mu_);
  uint64_t FaultMatches(int id) const EXCLUDES(mu_);
  uint64_t FaultsFired(int id) const EXCLUDES(mu_);
  uint64_t CallCount(FsOp op) const EXCLUDES(mu_);
  uint64_t TotalCalls() const EXCLUDES(mu_);
  uint64_t InjectedErrors() const EXCLUDES(mu_);
  void ResetCounters() EXCLUDES(mu_);
  void SetDropWrites(bool drop) EXCLUDES(mu_);
  void SetActive(bool active) EXCLUDES(mu_);

  // Progress of a tracked file, reported by its handle.
  void OnAppended(FileState* state, uint64_t n) EXCLUDES(mu_);
  void OnFlushed(FileState* state) EXCLUDES(mu_);
  void OnSynced(FileState* state) EXCLUDES(mu_);

  // The tracked operations: the base call and the bookkeeping, atomically.
  Status OpenWritable(const std::string& path, std::unique_ptr<WritableFile>* result) EXCLUDES(mu_);
  Status Remove(const std::string& path) EXCLUDES(mu_);
  Status CreateDir(const std::string& dir) EXCLUDES(mu_);
  Status RemoveDirectory(const std::string& dir) EXCLUDES(mu_);
  Status Rename(const std::string& src, const std::string& target) EXCLUDES(mu_);
  Status SyncDirectory(const std::string& dir) EXCLUDES(mu_);
  Status Lock(const std::string& path, std::unique_ptr<FileLock>* lock) EXCLUDES(mu_);

  Status PowerLoss(const CrashOptions& options) EXCLUDES(mu_);
  // Makes every pending deletion final.
  void PurgeAllTrash() EXCLUDES(mu_);

  FileSystem* base() const { return base_.get(); }

 private:
  struct Fault {
    FaultSpec spec;
    Random rnd;
    uint64_t matches = 0;
    uint64_t fired = 0;
  };

  void RecordOp(DirOp op) REQUIRES(mu_) { ops_.push_back(std::move(op)); }
  std::string NewTrashName(const std::string& path) REQUIRES(mu_) {
    return path + std::string(kTrashMarker) + std::to_string(next_trash_++);
  }
  // Re-keys the tracking of `from` (and of everything below it) to `to`.
  void MoveTracking(const std::string& from, const std::string& to) REQUIRES(mu_);
  // Removes op's hidden file: its deletion can no longer be undone.
  Status PurgeTrash(DirOp* op) REQUIRES(mu_);
  Status OpenWritableLocked(const std::string& path, std::unique_ptr<WritableFile>* result)
      EXCLUDES(mu_);
  Status LockLocked(const std::string& path, std::unique_ptr<FileLock>* lock) EXCLUDES(mu_);
  Status CloseHandlesForPowerLoss() REQUIRES(mu_);
  Status RewriteUnsyncedData(const CrashOptions& options, Random* rnd) REQUIRES(mu_);
  Status UndoUnsyncedOps(const CrashOptions& options, Random* rnd) REQUIRES(mu_);
  Status Undo(const DirOp& op, const CrashOptions& options, Random* rnd) REQUIRES(mu_);
  // Reads the file at path, split into its durable bytes and its flushed-but-unsynced bytes.
  Status ReadDurableParts(const std::string& path, std::string* durable, std::string* unsynced)
      REQUIRES(mu_);

  const std::shared_ptr<FileSystem> base_;
  mutable Mutex mu_;
  std::map<int, Fault> faults_ GUARDED_BY(mu_);
  int next_fault_id_ GUARDED_BY(mu_) = 1;
  std::array<uint64_t, kNumFsOps> calls_ GUARDED_BY(mu_) = {};
  uint64_t injected_ GUARDED_BY(mu_) = 0;
  bool active_ GUARDED_BY(mu_) = true;
  bool drop_writes_ GUARDED_BY(mu_) = false;
  uint64_t epoch_ GUARDED_BY(mu_) = 0;  // bumped by each power loss; older handles are dead

  std::map<std::string, std::shared_ptr<FileState>> files_ GUARDED_BY(mu_);  // by current path
  std::vector<DirOp> ops_ GUARDED_BY(mu_);  // not yet durable, oldest first
  uint64_t next_trash_ GUARDED_BY(mu_) = 0;
  std::vector<std::weak_ptr<WriterSlot>> writers_ GUARDED_BY(mu_);
  std::vector<std::weak_ptr<LockSlot>> locks_ GUARDED_BY(mu_);
};

namespace {

using Core = FaultInjectionFileSystem::Core;

template <typename T>
void PruneExpired(std::vector<std::weak_ptr<T>>* slots) {
  std::erase_if(*slots, [](const std::weak_ptr<T>& w) { return w.expired(); });
}

class FaultInjectionSequentialFile final : public SequentialFile {
 public:
  FaultInjectionSequentialFile(std::shared_ptr<Core> core, std::string path,
                               std::unique_ptr<SequentialFile> base, uint64_t epoch)
      : core_(std::move(core)), path_(std::move(path)), base_(std::move(base)), epoch_(epoch) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    *result = std::string_view();
    if (Status s = core_->BeginCall(FsOp::kRead, path_, {}, epoch_); !s.ok()) return s;
    return base_->Read(n, result, scratch);
  }

  Status Skip(uint64_t n) override {
    if (Status s = core_->BeginCall(FsOp::kRead, path_, {}, epoch_); !s.ok()) return s;
    return base_->Skip(n);
  }

 private:
  const std::shared_ptr<Core> core_;
  const std::string path_;
  const std::unique_ptr<SequentialFile> base_;
  const uint64_t epoch_;
};

class FaultInjectionRandomAccessFile final : public RandomAccessFile {
 public:
  FaultInjectionRandomAccessFile(std::shared_ptr<Core> core, std::string path,
                                 std::unique_ptr<RandomAccessFile> base, uint64_t epoch)
      : core_(std::move(core)), path_(std::move(path)), base_(std::move(base)), epoch_(epoch) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    *result = std::string_view();
    if (Status s = core_->BeginCall(FsOp::kRead, path_, {}, epoch_); !s.ok()) return s;
    return base_->Read(offset, n, result, scratch);
  }

 private:
  const std::shared_ptr<Core> core_;
  const std::string path_;
  const std::unique_ptr<RandomAccessFile> base_;
  const uint64_t epoch_;
};

class FaultInjectionWritableFile final : public WritableFile {
 public:
  FaultInjectionWritableFile(std::shared_ptr<Core> core, std::string path,
                             std::shared_ptr<WriterSlot> slot, std::shared_ptr<FileState> state,
                             uint64_t epoch)
      : core_(std::move(core)),
        path_(std::move(path)),
        slot_(std::move(slot)),
        state_(std::move(state)),
        epoch_(epoch) {}

  ~FaultInjectionWritableFile() override {
    if (!closed_) Close().PermitUncheckedError();
  }

  Status Append(std::string_view data) override {
    if (Status s = StartWrite(FsOp::kWrite, "append"); !s.ok()) return s;
    if (!core_->drop_writes()) {
      if (Status s = WithBase([&](WritableFile* f) { return f->Append(data); }); !s.ok()) {
        return Break(std::move(s));
      }
      core_->OnAppended(state_.get(), data.size());
    }
    size_ += data.size();
    return Status::OK();
  }

  Status Flush() override {
    if (Status s = StartWrite(FsOp::kWrite, "flush"); !s.ok()) return s;
    if (core_->drop_writes()) return Status::OK();
    if (Status s = WithBase([](WritableFile* f) { return f->Flush(); }); !s.ok()) {
      return Break(std::move(s));
    }
    core_->OnFlushed(state_.get());
    return Status::OK();
  }

  Status Sync() override {
    if (Status s = StartWrite(FsOp::kSync, "sync"); !s.ok()) return s;
    if (core_->drop_writes()) return Status::OK();
    if (Status s = WithBase([](WritableFile* f) { return f->Sync(); }); !s.ok()) {
      return Break(std::move(s));
    }
    core_->OnSynced(state_.get());
    return Status::OK();
  }

  // The base file is closed even when the call fails, so that nothing leaks.
  Status Close() override {
    if (closed_) return Status::IOError(path_, "close: file already closed");
    closed_ = true;
    Status s = error_.ok() ? core_->BeginCall(FsOp::kClose, path_, {}, epoch_) : error_;
    Status base_status;
    {
      MutexLock l(&slot_->mu);
      if (slot_->file != nullptr) {
        base_status = slot_->file->Close();
        slot_->file.reset();
      }
    }
    if (!s.ok()) return s;
    if (!base_status.ok()) return Break(std::move(base_status));
    core_->OnFlushed(state_.get());
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  // The checks every Append/Flush/Sync starts with; a failure breaks the file.
  Status StartWrite(FsOp op, std::string_view what) {
    if (!error_.ok()) return error_;
    if (closed_) return Status::IOError(path_, std::string(what) + ": file is closed");
    Status s = core_->BeginCall(op, path_, {}, epoch_);
    return s.ok() ? s : Break(std::move(s));
  }

  template <typename Fn>
  Status WithBase(Fn&& fn) {
    MutexLock l(&slot_->mu);
    if (slot_->file == nullptr) {
      return Status::IOError(path_, "file closed by a simulated power loss");
    }
    return fn(slot_->file.get());
  }

  Status Break(Status s) {
    error_ = std::move(s);
    return error_;
  }

  const std::shared_ptr<Core> core_;
  const std::string path_;
  const std::shared_ptr<WriterSlot> slot_;
  const std::shared_ptr<FileState> state_;
  const uint64_t epoch_;
  uint64_t size_ = 0;
  bool closed_ = false;
  Status error_;  // sticky, like the POSIX file's
};

class FaultInjectionFileLock final : public FileLock {
 public:
  explicit FaultInjectionFileLock(std::shared_ptr<LockSlot> slot) : slot_(std::move(slot)) {}
  ~FaultInjectionFileLock() override {
    MutexLock l(&slot_->mu);
    slot_->lock.reset();
  }

 private:
  const std::shared_ptr<LockSlot> slot_;
};

}  // namespace

// ---- Core: faults, counters, switches ----------------------------------------------------------

Status Core::BeginCall(FsOp op, std::string_view path, std::string_view path2, uint64_t epoch) {
  MutexLock l(&mu_);
  calls_[static_cast<size_t>(op)]++;
  const std::string name(FsOpName(op));
  if (!active_) return Status::IOError(path, name + ": file system inactive (simulated)");
  if (epoch != kNoEpoch && epoch != epoch_) {
    return Status::IOError(path, name + ": handle opened before a simulated power loss");
  }
  const Fault* firing = nullptr;
  for (auto& [id, fault] : faults_) {
    const FaultSpec& spec = fault.spec;
    if (spec.op.has_value() && *spec.op != op) continue;
    if (spec.path_filter && !spec.path_filter(path) &&
        (path2.empty() || !spec.path_filter(path2))) {
      continue;
    }
    fault.matches++;
    bool fire = false;
    switch (spec.mode) {
      case FaultSpec::Mode::kOnce:
        fire = fault.matches == spec.nth;
        break;
      case FaultSpec::Mode::kFromNth:
        fire = fault.matches >= spec.nth;
        break;
      case FaultSpec::Mode::kProbability:
        fire = UnitDouble(&fault.rnd) < spec.probability;
        break;
    }
    if (!fire) continue;
    fault.fired++;
    if (firing == nullptr) firing = &fault;
  }
  if (firing == nullptr) return Status::OK();
  injected_++;
  return InjectedError(firing->spec.error, path, op);
}

int Core::AddFault(FaultSpec spec) {
  MutexLock l(&mu_);
  const int id = next_fault_id_++;
  Random rnd(spec.seed);
  faults_.emplace(id, Fault{std::move(spec), rnd});
  return id;
}

void Core::RemoveFault(int id) {
  MutexLock l(&mu_);
  faults_.erase(id);
}

void Core::ClearFaults() {
  MutexLock l(&mu_);
  faults_.clear();
}

uint64_t Core::FaultMatches(int id) const {
  MutexLock l(&mu_);
  auto it = faults_.find(id);
  return it == faults_.end() ? 0 : it->second.matches;
}

uint64_t Core::FaultsFired(int id) const {
  MutexLock l(&mu_);
  auto it = faults_.find(id);
  return it == faults_.end() ? 0 : it->second.fired;
}

uint64_t Core::CallCount(FsOp op) const {
  MutexLock l(&mu_);
  return calls_[static_cast<size_t>(op)];
}

uint64_t Core::TotalCalls() const {
  MutexLock l(&mu_);
  uint64_t total = 0;
  for (const uint64_t n : calls_) total += n;
  return total;
}

uint64_t Core::InjectedErrors() const {
  MutexLock l(&mu_);
  return injected_;
}

void Core::ResetCounters() {
  MutexLock l(&mu_);
  calls_.fill(0);
  injected_ = 0;
}

void Core::SetDropWrites(bool drop) {
  MutexLock l(&mu_);
  drop_writes_ = drop;
}

void Core::SetActive(bool active) {
  MutexLock l(&mu_);
  active_ = active;
}

// ---- Core: tracking ----------------------------------------------------------------------------

void Core::OnAppended(FileState* state, uint64_t n) {
  MutexLock l(&mu_);
  state->appended += n;
}

void Core::OnFlushed(FileState* state) {
  MutexLock l(&mu_);
  state->flushed = state->appended;
}

void Core::OnSynced(FileState* state) {
  MutexLock l(&mu_);
  state->flushed = state->appended;
  state->synced = state->appended;
}

void Core::MoveTracking(const std::string& from, const std::string& to) {
  const std::string prefix = from + "/";
  std::vector<std::pair<std::string, std::shared_ptr<FileState>>> moved;
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->first == from) {
      moved.emplace_back(to, std::move(it->second));
    } else if (it->first.starts_with(prefix)) {
      moved.emplace_back(to + it->first.substr(from.size()), std::move(it->second));
    } else {
      ++it;
      continue;
    }
    it = files_.erase(it);
  }
  for (auto& [path, state] : moved) files_[path] = std::move(state);
}

Status Core::PurgeTrash(DirOp* op) {
  if (op->trash.empty()) return Status::OK();
  Status s = base_->RemoveFile(op->trash);
  files_.erase(op->trash);
  op->trash.clear();
  return s.IsNotFound() ? Status::OK() : s;
}

Status Core::OpenWritable(const std::string& path, std::unique_ptr<WritableFile>* result) {
  // *result may hold a file of this wrapper: replace it only after unlocking, since closing it
  // calls back in.
  std::unique_ptr<WritableFile> handle;
  if (Status s = OpenWritableLocked(path, &handle); !s.ok()) return s;
  *result = std::move(handle);
  return Status::OK();
}

Status Core::OpenWritableLocked(const std::string& path, std::unique_ptr<WritableFile>* result) {
  MutexLock l(&mu_);
  const std::string norm = NormalizePath(path);
  const bool existed = base_->FileExists(path).ok();
  std::unique_ptr<WritableFile> file;
  if (Status s = base_->NewWritableFile(path, &file); !s.ok()) return s;
  // Like the in-memory file system, the truncation of an existing file counts as durable.
  auto state = std::make_shared<FileState>();
  files_[norm] = state;
  if (!existed) RecordOp({DirOp::Kind::kCreateFile, norm, "", "", {DirName(norm)}});
  auto slot = std::make_shared<WriterSlot>();
  {
    MutexLock slot_lock(&slot->mu);
    slot->file = std::move(file);
  }
  PruneExpired(&writers_);
  writers_.push_back(slot);
  *result = std::make_unique<FaultInjectionWritableFile>(shared_from_this(), path, std::move(slot),
                                                         std::move(state), epoch_);
  return Status::OK();
}

Status Core::Remove(const std::string& path) {
  MutexLock l(&mu_);
  bool is_dir = false;
  // Let the base report what it reports for a missing path or a directory.
  if (!base_->IsDirectory(path, &is_dir).ok() || is_dir) return base_->RemoveFile(path);
  const std::string norm = NormalizePath(path);
  const std::string trash = NewTrashName(norm);
  if (Status s = base_->RenameFile(norm, trash); !s.ok()) return s;
  MoveTracking(norm, trash);
  RecordOp({DirOp::Kind::kDelete, norm, "", trash, {DirName(norm)}});
  return Status::OK();
}

Status Core::CreateDir(const std::string& dir) {
  MutexLock l(&mu_);
  const bool existed = base_->FileExists(dir).ok();
  if (Status s = base_->CreateDirIfMissing(dir); !s.ok()) return s;
  if (!existed) {
    const std::string norm = NormalizePath(dir);
    RecordOp({DirOp::Kind::kCreateDir, norm, "", "", {DirName(norm)}});
  }
  return Status::OK();
}

Status Core::RemoveDirectory(const std::string& dir) {
  MutexLock l(&mu_);
  const std::string norm = NormalizePath(dir);
  std::vector<std::string> children;
  if (base_->GetChildren(dir, &children).ok() &&
      std::all_of(children.begin(), children.end(), IsTrashName)) {
    // Only deleted files keep the directory from being empty: make those deletions final.
    for (DirOp& op : ops_) {
      if (!op.trash.empty() && DirName(op.trash) == norm) {
        if (Status s = PurgeTrash(&op); !s.ok()) return s;
      }
    }
  }
  if (Status s = base_->RemoveDir(dir); !s.ok()) return s;
  RecordOp({DirOp::Kind::kRemoveDir, norm, "", "", {DirName(norm)}});
  return Status::OK();
}

Status Core::Rename(const std::string& src, const std::string& target) {
  MutexLock l(&mu_);
  const std::string from = NormalizePath(src);
  const std::string to = NormalizePath(target);
  bool src_is_dir = false;
  bool target_is_dir = false;
  if (from == to || !base_->IsDirectory(src, &src_is_dir).ok()) {
    return base_->RenameFile(src, target);  // nothing to track; the base says what happens
  }
  const bool target_exists = base_->IsDirectory(target, &target_is_dir).ok();
  DirOp op{DirOp::Kind::kRename, from, to, "", {DirName(from), DirName(to)}};
  if (target_exists && !src_is_dir && !target_is_dir) {
    // Undoing the rename must bring the replaced file back, so keep a copy of its bytes. (Moving
    // it aside first would split the rename into two, and a real crash between them would leave
    // no file at all under the target's name.)
    Status s = ReadDurableParts(to, &op.replaced_durable, &op.replaced_unsynced);
    if (!s.ok()) return s;
    op.replaced = true;
  }
  if (Status s = base_->RenameFile(src, target); !s.ok()) return s;
  files_.erase(to);
  MoveTracking(from, to);
  RecordOp(std::move(op));
  return Status::OK();
}

Status Core::ReadDurableParts(const std::string& path, std::string* durable,
                              std::string* unsynced) {
  std::string data;
  if (Status s = ReadWholeFile(base_.get(), path, &data); !s.ok()) return s;
  auto it = files_.find(NormalizePath(path));
  SplitDurable(data, it == files_.end() ? nullptr : it->second.get(), durable, unsynced);
  return Status::OK();
}

Status Core::SyncDirectory(const std::string& dir) {
  MutexLock l(&mu_);
  if (Status s = base_->SyncDir(dir); !s.ok()) return s;
  const std::string norm = NormalizePath(dir);
  Status result;
  for (DirOp& op : ops_) {
    if (op.unsynced_dirs.erase(norm) > 0 && op.unsynced_dirs.empty()) {
      if (Status s = PurgeTrash(&op); !s.ok() && result.ok()) result = s;
    }
  }
  std::erase_if(ops_, [](const DirOp& op) { return op.unsynced_dirs.empty(); });
  return result;
}

Status Core::Lock(const std::string& path, std::unique_ptr<FileLock>* lock) {
  std::unique_ptr<FileLock> handle;  // as in OpenWritable: replace *lock after unlocking
  if (Status s = LockLocked(path, &handle); !s.ok()) return s;
  *lock = std::move(handle);
  return Status::OK();
}

Status Core::LockLocked(const std::string& path, std::unique_ptr<FileLock>* lock) {
  MutexLock l(&mu_);
  const bool existed = base_->FileExists(path).ok();
  std::unique_ptr<FileLock> base_lock;
  if (Status s = base_->LockFile(path, &base_lock); !s.ok()) return s;
  if (!existed) {
    const std::string norm = NormalizePath(path);
    RecordOp({DirOp::Kind::kCreateFile, norm, "", "", {DirName(norm)}});
  }
  auto slot = std::make_shared<LockSlot>();
  {
    MutexLock slot_lock(&slot->mu);
    slot->lock = std::move(base_lock);
  }
  PruneExpired(&locks_);
  locks_.push_back(slot);
  *lock = std::make_unique<FaultInjectionFileLock>(std::move(slot));
  return Status::OK();
}

void Core::PurgeAllTrash() {
  MutexLock l(&mu_);
  for (DirOp& op : ops_) PurgeTrash(&op).PermitUncheckedError();
}

// ---- Core: power loss --------------------------------------------------------------------------

Status Core::PowerLoss(const CrashOptions& options) {
  MutexLock l(&mu_);
  epoch_++;
  Random rnd(options.seed);
  Status result = CloseHandlesForPowerLoss();
  if (Status s = RewriteUnsyncedData(options, &rnd); !s.ok() && result.ok()) result = s;
  if (Status s = UndoUnsyncedOps(options, &rnd); !s.ok() && result.ok()) result = s;
  files_.clear();
  ops_.clear();
  return result;
}

// Closes the base files of open writers before their data is rewritten: a buffer flushed later
// would land on the post-crash state. Locks die with the "machine".
Status Core::CloseHandlesForPowerLoss() {
  for (const std::weak_ptr<WriterSlot>& weak : writers_) {
    std::shared_ptr<WriterSlot> slot = weak.lock();
    if (slot == nullptr) continue;
    MutexLock slot_lock(&slot->mu);
    if (slot->file == nullptr) continue;
    slot->file->Close().PermitUncheckedError();  // the file may be broken; it is rewritten next
    slot->file.reset();
  }
  writers_.clear();
  for (const std::weak_ptr<LockSlot>& weak : locks_) {
    std::shared_ptr<LockSlot> slot = weak.lock();
    if (slot == nullptr) continue;
    MutexLock slot_lock(&slot->mu);
    slot->lock.reset();
  }
  locks_.clear();
  return Status::OK();
}

Status Core::RewriteUnsyncedData(const CrashOptions& options, Random* rnd) {
  Status result;
  for (const auto& [path, state] : files_) {
    std::string data;
    Status s = ReadWholeFile(base_.get(), path, &data);
    if (s.IsNotFound()) continue;  // gone with a removed directory
    if (s.ok()) {
      std::string durable;
      std::string unsynced;
      SplitDurable(data, state.get(), &durable, &unsynced);
      const std::string bytes = SurvivingBytes(durable, unsynced, options, rnd);
      if (bytes != data) s = WriteWholeFile(base_.get(), path, bytes);
    }
    if (!s.ok() && result.ok()) result = s;
  }
  return result;
}

Status Core::UndoUnsyncedOps(const CrashOptions& options, Random* rnd) {
  // Each directory keeps a prefix of its changes; a change touching two directories survives
  // only if both keep it.
  std::map<std::string, std::vector<size_t>> by_dir;
  for (size_t i = 0; i < ops_.size(); i++) {
    for (const std::string& dir : ops_[i].unsynced_dirs) by_dir[dir].push_back(i);
  }
  std::vector<bool> survives(ops_.size(), true);
  for (const auto& [dir, indexes] : by_dir) {
    const size_t kept = SurvivingDirChanges(indexes.size(), options, rnd);
    for (size_t j = kept; j < indexes.size(); j++) survives[indexes[j]] = false;
  }
  Status result;
  auto note = [&result](Status s) {
    if (!s.ok() && !s.IsNotFound() && result.ok()) result = std::move(s);
  };
  for (size_t i = ops_.size(); i-- > 0;) {
    if (!survives[i]) note(Undo(ops_[i], options, rnd));
  }
  for (size_t i = 0; i < ops_.size(); i++) {
    if (survives[i]) note(PurgeTrash(&ops_[i]));
  }
  // Make the post-crash state durable on the base too.
  for (const auto& [dir, indexes] : by_dir) {
    if (base_->FileExists(dir).ok()) note(base_->SyncDir(dir));
  }
  return result;
}

// Best effort: a step whose source has gone (NotFound) is skipped.
Status Core::Undo(const DirOp& op, const CrashOptions& options, Random* rnd) {
  switch (op.kind) {
    case DirOp::Kind::kCreateFile:
      return base_->RemoveFile(op.path);
    case DirOp::Kind::kCreateDir:
      return RemoveTree(base_.get(), op.path);
    case DirOp::Kind::kDelete:
      if (op.trash.empty()) return Status::OK();
      return base_->RenameFile(op.trash, op.path);
    case DirOp::Kind::kRename: {
      Status s = base_->RenameFile(op.target, op.path);
      if (op.replaced) {
        const std::string bytes =
            SurvivingBytes(op.replaced_durable, op.replaced_unsynced, options, rnd);
        const Status t = WriteWholeFile(base_.get(), op.target, bytes);
        if (s.ok() || s.IsNotFound()) s = t;
      }
      return s;
    }
    case DirOp::Kind::kRemoveDir:
      return base_->CreateDirIfMissing(op.path);
  }
  return Status::OK();
}

// ---- FaultSpec ---------------------------------------------------------------------------------

std::string_view FsOpName(FsOp op) {
  switch (op) {
    case FsOp::kRead:
      return "read";
    case FsOp::kWrite:
      return "write";
    case FsOp::kSync:
      return "sync";
    case FsOp::kDirSync:
      return "dir sync";
    case FsOp::kRename:
      return "rename";
    case FsOp::kOpen:
      return "open";
    case FsOp::kClose:
      return "close";
    case FsOp::kDelete:
      return "delete";
    case FsOp::kLock:
      return "lock";
    case FsOp::kList:
      return "list";
    case FsOp::kStat:
      return "stat";
    case FsOp::kCreateDir:
      return "create dir";
  }
  return "unknown";
}

FaultSpec FaultSpec::Once(std::optional<FsOp> op, uint64_t nth) {
  FaultSpec spec;
  spec.op = op;
  spec.mode = Mode::kOnce;
  spec.nth = nth;
  return spec;
}

FaultSpec FaultSpec::FromNth(std::optional<FsOp> op, uint64_t nth) {
  FaultSpec spec;
  spec.op = op;
  spec.mode = Mode::kFromNth;
  spec.nth = nth;
  return spec;
}

FaultSpec FaultSpec::Probability(std::optional<FsOp> op, double probability, uint64_t seed) {
  FaultSpec spec;
  spec.op = op;
  spec.mode = Mode::kProbability;
  spec.probability = probability;
  spec.seed = seed;
  return spec;
}

FaultSpec& FaultSpec::OnlyPaths(std::function<bool(std::string_view path)> filter) {
  path_filter = std::move(filter);
  return *this;
}

FaultSpec& FaultSpec::OnlySuffix(std::string suffix) {
  path_filter = [suffix = std::move(suffix)](std::string_view path) {
    return path.ends_with(suffix);
  };
  return *this;
}

FaultSpec& FaultSpec::NoSpace() {
  error = Error::kNoSpace;
  return *this;
}

// ---- FaultInjectionFileSystem ------------------------------------------------------------------

FaultInjectionFileSystem::FaultInjectionFileSystem(std::shared_ptr<FileSystem> base)
    : base_(std::move(base)), core_(std::make_shared<Core>(base_)) {}

FaultInjectionFileSystem::~FaultInjectionFileSystem() { core_->PurgeAllTrash(); }

int FaultInjectionFileSystem::AddFault(FaultSpec spec) { return core_->AddFault(std::move(spec)); }
void FaultInjectionFileSystem::RemoveFault(int id) { core_->RemoveFault(id); }
void FaultInjectionFileSystem::ClearFaults() { core_->ClearFaults(); }
uint64_t FaultInjectionFileSystem::FaultMatches(int id) const { return core_->FaultMatches(id); }
uint64_t FaultInjectionFileSystem::FaultsFired(int id) const { return core_->FaultsFired(id); }
uint64_t FaultInjectionFileSystem::CallCount(FsOp op) const { return core_->CallCount(op); }
uint64_t FaultInjectionFileSystem::TotalCalls() const { return core_->TotalCalls(); }
uint64_t FaultInjectionFileSystem::InjectedErrors() const { return core_->InjectedErrors(); }
void FaultInjectionFileSystem::ResetCounters() { core_->ResetCounters(); }
void FaultInjectionFileSystem::SetDropWrites(bool drop) { core_->SetDropWrites(drop); }
void FaultInjectionFileSystem::SetActive(bool active) { core_->SetActive(active); }

Status FaultInjectionFileSystem::SimulatePowerLoss(const CrashOptions& options) {
  return core_->PowerLoss(options);
}

Status FaultInjectionFileSystem::NewSequentialFile(const std::string& path,
                                                   std::unique_ptr<SequentialFile>* result) {
  if (Status s = core_->BeginCall(FsOp::kOpen, path); !s.ok()) return s;
  std::unique_ptr<SequentialFile> file;
  if (Status s = base_->NewSequentialFile(path, &file); !s.ok()) return s;
  *result =
      std::make_unique<FaultInjectionSequentialFile>(core_, path, std::move(file), core_->epoch());
  return Status::OK();
}

Status FaultInjectionFileSystem::NewRandomAccessFile(const std::string& path,
                                                     std::unique_ptr<RandomAccessFile>* result) {
  if (Status s = core_->BeginCall(FsOp::kOpen, path); !s.ok()) return s;
  std::unique_ptr<RandomAccessFile> file;
  if (Status s = base_->NewRandomAccessFile(path, &file); !s.ok()) return s;
  *result = std::make_unique<FaultInjectionRandomAccessFile>(core_, path, std::move(file),
                                                             core_->epoch());
  return Status::OK();
}

Status FaultInjectionFileSystem::NewWritableFile(const std::string& path,
                                                 std::unique_ptr<WritableFile>* result) {
  if (Status s = core_->BeginCall(FsOp::kOpen, path); !s.ok()) return s;
  return core_->OpenWritable(path, result);
}

Status FaultInjectionFileSystem::FileExists(const std::string& path) {
  if (Status s = core_->BeginCall(FsOp::kStat, path); !s.ok()) return s;
  return base_->FileExists(path);
}

Status FaultInjectionFileSystem::IsDirectory(const std::string& path, bool* is_dir) {
  if (Status s = core_->BeginCall(FsOp::kStat, path); !s.ok()) return s;
  return base_->IsDirectory(path, is_dir);
}

Status FaultInjectionFileSystem::GetChildren(const std::string& dir,
                                             std::vector<std::string>* names) {
  names->clear();
  if (Status s = core_->BeginCall(FsOp::kList, dir); !s.ok()) return s;
  Status s = base_->GetChildren(dir, names);
  std::erase_if(*names, IsTrashName);
  return s;
}

Status FaultInjectionFileSystem::GetFileSize(const std::string& path, uint64_t* size) {
  if (Status s = core_->BeginCall(FsOp::kStat, path); !s.ok()) return s;
  return base_->GetFileSize(path, size);
}

Status FaultInjectionFileSystem::RemoveFile(const std::string& path) {
  if (Status s = core_->BeginCall(FsOp::kDelete, path); !s.ok()) return s;
  return core_->Remove(path);
}

Status FaultInjectionFileSystem::CreateDirIfMissing(const std::string& dir) {
  if (Status s = core_->BeginCall(FsOp::kCreateDir, dir); !s.ok()) return s;
  return core_->CreateDir(dir);
}

Status FaultInjectionFileSystem::RemoveDir(const std::string& dir) {
  if (Status s = core_->BeginCall(FsOp::kDelete, dir); !s.ok()) return s;
  return core_->RemoveDirectory(dir);
}

Status FaultInjectionFileSystem::RenameFile(const std::string& src, const std::string& target) {
  if (Status s = core_->BeginCall(FsOp::kRename, src, target); !s.ok()) return s;
  return core_->Rename(src, target);
}

Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  if (Status s = core_->BeginCall(FsOp::kDirSync, dir); !s.ok()) return s;
  if (core_->drop_writes()) return Status::OK();
  return core_->SyncDirectory(dir);
}

Status FaultInjectionFileSystem::LockFile(const std::string& path,
                                          std::unique_ptr<FileLock>* lock) {
  if (Status s = core_->BeginCall(FsOp::kLock, path); !s.ok()) return s;
  return core_->Lock(path, lock);
}

}  // namespace strata
