// The POSIX FileSystem returned by DefaultFileSystem().
//
// Every file descriptor is owned by a UniqueFd and opened with O_CLOEXEC, so a fork+exec by the
// application never inherits (and never keeps alive) a DB file or its lock.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "fs/mapped_region.h"
#include "strata/file_system.h"
#include "util/mutex.h"

namespace strata {
namespace {

// Large enough that WAL records and SST blocks coalesce into few write(2) calls; appends at least
// this large bypass the buffer (copying them would only cost time).
constexpr size_t kWritableBufferSize = size_t{64} << 10;

// "<path>: <op>: <strerror>", as NotFound for ENOENT and IOError otherwise.
Status PosixError(const std::string& path, std::string_view op, int err) {
  const std::string detail = std::string(op) + ": " + std::system_category().message(err);
  if (err == ENOENT) return Status::NotFound(path, detail);
  return Status::IOError(path, detail);
}

// Owns one file descriptor. Reset() drops close(2)'s error: code that must see it calls
// Release() and closes the descriptor itself.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

UniqueFd OpenFd(const std::string& path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return UniqueFd(fd);
}

// Closes fd and reports close(2)'s error. Never retried: on Linux the descriptor is released
// even when close fails, and a retry could close a descriptor another thread just opened.
Status CloseFd(UniqueFd* fd, const std::string& path, std::string_view op) {
  if (::close(fd->Release()) != 0) return PosixError(path, op, errno);
  return Status::OK();
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::read(fd_.get(), scratch + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = std::string_view();
        return PosixError(path_, "read", errno);
      }
      if (r == 0) break;  // end of file: the interface promises short reads only here
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    const off_t pos = ::lseek(fd_.get(), 0, SEEK_CUR);
    if (pos < 0) return PosixError(path_, "lseek", errno);
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return PosixError(path_, "fstat", errno);
    // Stop at the end rather than seeking beyond it, so a file that grows later is read from
    // its end and not from a hole.
    const uint64_t cur = static_cast<uint64_t>(pos);
    const uint64_t end = std::max(cur, static_cast<uint64_t>(st.st_size));
    const uint64_t target = n > end - cur ? end : cur + n;
    if (::lseek(fd_.get(), static_cast<off_t>(target), SEEK_SET) < 0) {
      return PosixError(path_, "lseek", errno);
    }
    return Status::OK();
  }

 private:
  const std::string path_;
  UniqueFd fd_;
};

// pread(2) keeps no file position, so concurrent Read() calls need no lock.
class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r =
          ::pread(fd_.get(), scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = std::string_view();
        return PosixError(path_, "pread", errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }

 private:
  const std::string path_;
  const UniqueFd fd_;
};

// Reads served from a read-only shared mapping of the whole file, taken at open: no system call
// and no copy per read. SST files never change once written, so the mapping stays exact; reads
// past the mapped size return what exists (the size at open), like pread at end of file.
//
// The mapping is registered with mapped_region, so a page that cannot be read (I/O error, or the
// file shrank) reads as zeros instead of killing the process; MappingStatus() then reports it,
// and every later Read fails.
class PosixMappedRandomAccessFile final : public RandomAccessFile {
 public:
  PosixMappedRandomAccessFile(std::string path, const char* base, size_t size, int slot)
      : path_(std::move(path)), base_(base), size_(size), slot_(slot) {}
  ~PosixMappedRandomAccessFile() override {
    if (slot_ >= 0) mapped_region::Unregister(slot_);
    if (base_ != nullptr) ::munmap(const_cast<char*>(base_), size_);
  }

  Status Read(uint64_t offset, size_t n, std::string_view* result, char*) const override {
    if (Status s = MappingStatus(); !s.ok()) {
      *result = std::string_view();
      return s;
    }
    if (offset >= size_) {
      *result = std::string_view();
    } else {
      *result = std::string_view(base_ + offset, std::min<uint64_t>(n, size_ - offset));
    }
    return Status::OK();
  }
  bool IsMemoryMapped() const override { return true; }

  Status MappingStatus() const override {
    if (slot_ < 0) return Status::OK();
    const uint32_t faults = mapped_region::Faulted(slot_);
    if (faults == 0) return Status::OK();
    return Status::IOError(path_, std::to_string(faults) +
                                      " page(s) of the memory-mapped file could not be read "
                                      "(SIGBUS: a device I/O error, or the file was truncated)");
  }

 private:
  const std::string path_;
  const char* const base_;  // null for an empty file
  const size_t size_;
  const int slot_;  // mapped_region slot; -1 for an empty file
};

// After the first failed write, fdatasync or close the file is broken for good: the kernel may
// already have dropped the dirty pages, so a later "successful" fsync would lie (durability
// rule 7). Every later call returns the first error.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, UniqueFd fd)
      : path_(std::move(path)),
        fd_(std::move(fd)),
        buffer_(std::make_unique_for_overwrite<char[]>(kWritableBufferSize)) {}

  ~PosixWritableFile() override {
    if (fd_.valid()) Close().PermitUncheckedError();
  }

  Status Append(std::string_view data) override {
    if (Status s = CheckUsable("append"); !s.ok()) return s;
    if (data.size() <= kWritableBufferSize - buffered_) {
      std::memcpy(buffer_.get() + buffered_, data.data(), data.size());
      buffered_ += data.size();
      size_ += data.size();
      return Status::OK();
    }
    if (Status s = FlushBuffer(); !s.ok()) return s;
    if (data.size() < kWritableBufferSize) {
      std::memcpy(buffer_.get(), data.data(), data.size());
      buffered_ = data.size();
    } else if (Status s = WriteAll(data.data(), data.size()); !s.ok()) {
      return s;
    }
    size_ += data.size();
    return Status::OK();
  }

  Status Flush() override {
    if (Status s = CheckUsable("flush"); !s.ok()) return s;
    return FlushBuffer();
  }

  Status Sync() override {
    if (Status s = CheckUsable("sync"); !s.ok()) return s;
    if (Status s = FlushBuffer(); !s.ok()) return s;
    if (SyncFd() != 0) return Fail("fdatasync", errno);
    return Status::OK();
  }

  Status Close() override {
    if (!fd_.valid()) return Status::IOError(path_, "close: file already closed");
    Status s = error_.ok() ? FlushBuffer() : error_;
    const Status close_status = CloseFd(&fd_, path_, "close");
    if (s.ok() && !close_status.ok()) s = Fail(close_status);
    return s;
  }

  uint64_t Size() const override { return size_; }

 private:
  Status CheckUsable(std::string_view op) const {
    if (!error_.ok()) return error_;
    if (!fd_.valid()) return Status::IOError(path_, std::string(op) + ": file is closed");
    return Status::OK();
  }

  int SyncFd() const {
#if defined(__APPLE__)
    // fsync on macOS does not flush the drive's cache; F_FULLFSYNC does.
    return ::fcntl(fd_.get(), F_FULLFSYNC);
#else
    return ::fdatasync(fd_.get());
#endif
  }

  Status FlushBuffer() {
    const size_t n = std::exchange(buffered_, 0);
    return WriteAll(buffer_.get(), n);
  }

  Status WriteAll(const char* data, size_t n) {
    while (n > 0) {
      const ssize_t r = ::write(fd_.get(), data, n);
      if (r < 0) {
        if (errno == EINTR) continue;
        return Fail("write", errno);
      }
      data += r;
      n -= static_cast<size_t>(r);
    }
    return Status::OK();
  }

  Status Fail(std::string_view op, int err) { return Fail(PosixError(path_, op, err)); }
  Status Fail(Status s) {
    error_ = std::move(s);
    return error_;
  }

  const std::string path_;
  UniqueFd fd_;
  const std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;
  uint64_t size_ = 0;
  Status error_;  // the first write/sync/close failure; sticky
};

// A log file written through a shared memory mapping of preallocated space: an append is a
// memcpy into the page cache, which a process crash cannot lose, with no system call. Space is
// reserved with posix_fallocate before it is mapped, so a write into the mapping never needs to
// allocate a block (which, failing, would raise SIGBUS instead of returning an error); out of
// space shows up as an Append error. Only used on file systems where reserved space stays
// reserved for in-place writes (see MappedAppendsAreSafe). fdatasync writes back pages dirtied
// through the mapping like any others. Close trims the unused reserve and syncs, so that a
// closed log never ends in zeros that recovery would take for a torn tail.
class PosixMappedLogFile final : public WritableFile {
 public:
  PosixMappedLogFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  ~PosixMappedLogFile() override {
    if (fd_.valid()) Close().PermitUncheckedError();
    Unmap();
  }

  Status Append(std::string_view data) override {
    if (Status s = CheckUsable("append"); !s.ok()) return s;
    while (!data.empty()) {
      if (map_used_ == map_size_) {
        if (Status s = MapNextChunk(data.size()); !s.ok()) return s;
      }
      const size_t n = std::min(data.size(), map_size_ - map_used_);
      std::memcpy(map_ + map_used_, data.data(), n);
      map_used_ += n;
      size_ += n;
      data.remove_prefix(n);
    }
    return Status::OK();
  }

  // Appended bytes are in the page cache already.
  Status Flush() override { return CheckUsable("flush"); }

  Status Sync() override {
    if (Status s = CheckUsable("sync"); !s.ok()) return s;
    if (::fdatasync(fd_.get()) != 0) return Fail("fdatasync", errno);
    return Status::OK();
  }

  Status Close() override {
    if (!fd_.valid()) return Status::IOError(path_, "close: file already closed");
    Unmap();
    Status s = error_;
    if (s.ok() && ::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
      s = Fail("ftruncate", errno);
    }
    if (s.ok() && ::fdatasync(fd_.get()) != 0) s = Fail("fdatasync", errno);
    const Status close_status = CloseFd(&fd_, path_, "close");
    if (s.ok() && !close_status.ok()) s = Fail(close_status);
    return s;
  }

  uint64_t Size() const override { return size_; }

 private:
  // Small enough that the reserve past the data (counted in the file size) stays negligible.
  static constexpr size_t kChunk = size_t{256} << 10;

  Status CheckUsable(std::string_view op) const {
    if (!error_.ok()) return error_;
    if (!fd_.valid()) return Status::IOError(path_, std::string(op) + ": file is closed");
    return Status::OK();
  }

  // Reserves and maps the next chunk of the file, large enough for `wanted` bytes.
  Status MapNextChunk(size_t wanted) {
    Unmap();
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t chunk = std::max(kChunk, (wanted + page - 1) / page * page);
    const int err =
        ::posix_fallocate(fd_.get(), static_cast<off_t>(reserved_), static_cast<off_t>(chunk));
    if (err != 0) return Fail("fallocate", err);
    void* map = ::mmap(nullptr, chunk, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(),
                       static_cast<off_t>(reserved_));
    if (map == MAP_FAILED) return Fail("mmap", errno);
    map_ = static_cast<char*>(map);
    map_size_ = chunk;
    map_used_ = 0;
    reserved_ += chunk;
    return Status::OK();
  }

  void Unmap() {
    if (map_ != nullptr) ::munmap(map_, map_size_);
    map_ = nullptr;
    map_size_ = map_used_ = 0;
  }

  Status Fail(std::string_view op, int err) { return Fail(PosixError(path_, op, err)); }
  Status Fail(Status s) {
    error_ = std::move(s);
    return error_;
  }

  const std::string path_;
  UniqueFd fd_;
  char* map_ = nullptr;
  size_t map_size_ = 0;
  size_t map_used_ = 0;
  uint64_t reserved_ = 0;  // file bytes reserved (and the file's size) so far
  uint64_t size_ = 0;      // bytes appended
  Status error_;           // the first failure; sticky
};

// File systems on which writing into fallocated space never allocates (so never fails in a page
// fault): ext4, XFS and tmpfs. Copy-on-write file systems (btrfs, ZFS) allocate on every write.
bool MappedAppendsAreSafe(int fd) {
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0) return false;
  constexpr long kExt4 = 0xEF53;
  constexpr long kXfs = 0x58465342;
  constexpr long kTmpfs = 0x01021994;
  const long type = static_cast<long>(fs.f_type);
  return type == kExt4 || type == kXfs || type == kTmpfs;
}

// Classic fcntl locks belong to the process: a second F_SETLK by the same process succeeds, and
// closing ANY descriptor of the file drops the lock. Linux's open-file-description locks have
// neither flaw (and conflict with classic locks of other processes), so they are used where
// available. Either way the table makes a second LockFile in this process fail as it would in
// another one. It is keyed by (device, inode), so two spellings of one path are one lock, and it
// parks the descriptors that failed attempts opened instead of closing them, since closing one
// would release a classic lock. Every lock shares it, so it outlives them all.
#if defined(F_OFD_SETLK)
constexpr int kSetLockCommand = F_OFD_SETLK;
#else
constexpr int kSetLockCommand = F_SETLK;
#endif

struct LockTable {
  using Key = std::pair<dev_t, ino_t>;
  Mutex mu;
  // The locked files, each with the descriptors parked until it is unlocked.
  std::map<Key, std::vector<UniqueFd>> held GUARDED_BY(mu);
};

std::shared_ptr<LockTable> GlobalLockTable() {
  static const std::shared_ptr<LockTable> table = std::make_shared<LockTable>();
  return table;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::shared_ptr<LockTable> table, LockTable::Key key, UniqueFd fd)
      : table_(std::move(table)), key_(key), fd_(std::move(fd)) {}

  ~PosixFileLock() override {
    struct flock unlock = {};
    unlock.l_type = F_UNLCK;
    unlock.l_whence = SEEK_SET;
    ::fcntl(fd_.get(), kSetLockCommand, &unlock);  // closing fd_ would release it too
    MutexLock l(&table_->mu);
    table_->held.erase(key_);  // closes the parked descriptors
  }

 private:
  const std::shared_ptr<LockTable> table_;
  const LockTable::Key key_;
  const UniqueFd fd_;
};

Status StatPath(const std::string& path, struct stat* st) {
  if (::stat(path.c_str(), st) != 0) return PosixError(path, "stat", errno);
  return Status::OK();
}

class PosixFileSystem final : public FileSystem {
 public:
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    UniqueFd fd = OpenFd(path, O_RDONLY);
    if (!fd.valid()) return PosixError(path, "open", errno);
    *result = std::make_unique<PosixSequentialFile>(path, std::move(fd));
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    UniqueFd fd = OpenFd(path, O_RDONLY);
    if (!fd.valid()) return PosixError(path, "open", errno);
    *result = std::make_unique<PosixRandomAccessFile>(path, std::move(fd));
    return Status::OK();
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    UniqueFd fd = OpenFd(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd.valid()) return PosixError(path, "open", errno);
    *result = std::make_unique<PosixWritableFile>(path, std::move(fd));
    return Status::OK();
  }

  Status NewMemoryMappedFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    UniqueFd fd = OpenFd(path, O_RDONLY);
    if (!fd.valid()) return PosixError(path, "open", errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return PosixError(path, "fstat", errno);
    const auto size = static_cast<size_t>(st.st_size);
    const char* base = nullptr;
    int slot = -1;
    if (size > 0) {
      void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
      if (map == MAP_FAILED) return PosixError(path, "mmap", errno);
      slot = mapped_region::Register(map, size);
      if (slot < 0) {
        // No room to guard another mapping: read this file with pread, which reports errors.
        ::munmap(map, size);
        *result = std::make_unique<PosixRandomAccessFile>(path, std::move(fd));
        return Status::OK();
      }
      base = static_cast<const char*>(map);
    }
    // The mapping keeps the file's pages reachable; the descriptor is not needed any more.
    *result = std::make_unique<PosixMappedRandomAccessFile>(path, base, size, slot);
    return Status::OK();
  }

  Status NewLogFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    UniqueFd fd = OpenFd(path, O_RDWR | O_CREAT | O_TRUNC);
    if (!fd.valid()) return PosixError(path, "open", errno);
    if (MappedAppendsAreSafe(fd.get())) {
      *result = std::make_unique<PosixMappedLogFile>(path, std::move(fd));
    } else {
      *result = std::make_unique<PosixWritableFile>(path, std::move(fd));
    }
    return Status::OK();
  }

  Status FileExists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return Status::OK();
    const int err = errno;
    // A path through a regular file ("file/x") does not exist either.
    if (err == ENOTDIR) return Status::NotFound(path, "stat: Not a directory");
    return PosixError(path, "stat", err);
  }

  Status IsDirectory(const std::string& path, bool* is_dir) override {
    struct stat st;
    Status s = StatPath(path, &st);
    if (s.ok()) *is_dir = S_ISDIR(st.st_mode);
    return s;
  }

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;

  Status GetFileSize(const std::string& path, uint64_t* size) override {
    struct stat st;
    Status s = StatPath(path, &st);
    if (s.ok()) *size = static_cast<uint64_t>(st.st_size);
    return s;
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError(path, "unlink", errno);
    return Status::OK();
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) == 0) return Status::OK();
    const int err = errno;
    if (err != EEXIST) return PosixError(dir, "mkdir", err);
    struct stat st;
    if (Status s = StatPath(dir, &st); !s.ok()) return s;
    if (!S_ISDIR(st.st_mode)) return Status::IOError(dir, "mkdir: exists and is not a directory");
    return Status::OK();
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError(dir, "rmdir", errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& src, const std::string& target) override {
    if (::rename(src.c_str(), target.c_str()) != 0) {
      return PosixError(src, "rename to " + target, errno);
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    UniqueFd fd = OpenFd(dir, O_RDONLY | O_DIRECTORY);
    if (!fd.valid()) return PosixError(dir, "open directory", errno);
    if (::fsync(fd.get()) != 0) return PosixError(dir, "fsync directory", errno);
    return CloseFd(&fd, dir, "close directory");
  }

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

Status PosixFileSystem::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  UniqueFd fd = OpenFd(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.valid()) return PosixError(dir, "open directory", errno);
  std::unique_ptr<DIR, DirCloser> stream(::fdopendir(fd.get()));
  if (stream == nullptr) return PosixError(dir, "fdopendir", errno);
  fd.Release();  // the DIR stream owns the descriptor now
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(stream.get());
    if (entry == nullptr) {
      if (errno != 0) return PosixError(dir, "readdir", errno);
      break;
    }
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names->emplace_back(name);
  }
  return Status::OK();
}

Status PosixFileSystem::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  UniqueFd fd = OpenFd(path, O_RDWR | O_CREAT);
  if (!fd.valid()) return PosixError(path, "open lock file", errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return PosixError(path, "fstat", errno);
  const LockTable::Key key(st.st_dev, st.st_ino);
  std::shared_ptr<LockTable> table = GlobalLockTable();
  {
    MutexLock l(&table->mu);
    auto [it, inserted] = table->held.try_emplace(key);
    if (!inserted) {
      it->second.push_back(std::move(fd));
      return Status::Busy("lock held", path);
    }
  }
  struct flock request = {};  // l_pid must be 0 for open-file-description locks
  request.l_type = F_WRLCK;
  request.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
  if (::fcntl(fd.get(), kSetLockCommand, &request) != 0) {
    const int err = errno;
    {
      MutexLock l(&table->mu);
      table->held.erase(key);
    }
    if (err == EAGAIN || err == EACCES) return Status::Busy("lock held", path);
    return PosixError(path, "fcntl lock", err);
  }
  *lock = std::make_unique<PosixFileLock>(std::move(table), key, std::move(fd));
  return Status::OK();
}

}  // namespace

std::shared_ptr<FileSystem> DefaultFileSystem() {
  static const std::shared_ptr<FileSystem> fs = std::make_shared<PosixFileSystem>();
  return fs;
}

}  // namespace strata
