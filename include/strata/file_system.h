// strata/file_system.h — every byte strata reads or writes goes through a FileSystem.
//
// strata ships three implementations: the POSIX file system (DefaultFileSystem()), an in-memory
// file system that can simulate a machine crash (NewMemFileSystem(), see CrashSimulation below),
// and a fault-injecting wrapper used by tests (src/fs/fault_injection_fs.h, internal).
// Applications may supply their own by implementing these interfaces.
//
// Paths are '/'-separated strings. A FileSystem knows nothing of clocks or threads.
//
// Ownership: files are returned as std::unique_ptr; destroying a WritableFile without Close()
// closes it and drops any error (call Close() to see it).
// Thread safety: a FileSystem must be safe for concurrent calls. A RandomAccessFile must be safe
// for concurrent Read() calls. SequentialFile and WritableFile are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

// A file read from start to end (WAL replay, MANIFEST replay).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes. *result points either into scratch (which must hold n bytes) or into
  // memory owned by the file that stays valid until the next call. A short read (including
  // an empty one) means the end of the file was reached.
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  // Skips n bytes; skipping past the end stops at the end.
  virtual Status Skip(uint64_t n) = 0;
};

// A file read at arbitrary offsets (SST files). Read() may be called concurrently.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset. *result points into scratch (n bytes) or into memory owned
  // by the file that stays valid as long as the file. Fewer than n bytes means the end of file.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result,
                      char* scratch) const = 0;
  // True if Read always returns a view of memory owned by the file (a memory mapping), valid as
  // long as the file, without using scratch — which may then be null.
  virtual bool IsMemoryMapped() const { return false; }
  // For a memory-mapped file: IOError if some page of the mapping could not be read since the
  // file was opened (a device I/O error, or the file shrank). Such a page reads as zeros, so a
  // caller that used views returned by Read checks this afterwards and discards what it read if
  // it is not ok; every later Read fails too. Always ok for other files.
  virtual Status MappingStatus() const { return Status::OK(); }
};

// A file written sequentially (WAL, SST, MANIFEST, CURRENT temp file).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Pushes buffered data to the operating system (survives a process crash, not a power loss).
  virtual Status Flush() = 0;
  // Makes all appended data durable (fdatasync or equivalent). After a failed Sync the file's
  // durable contents are unknown; callers never retry it.
  virtual Status Sync() = 0;
  // Flushes and closes. The file may not be used afterwards. Its error matters: a close can
  // report a write-back failure.
  virtual Status Close() = 0;
  // Bytes appended so far.
  virtual uint64_t Size() const = 0;
};

// A held advisory lock on a file; released by destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  // Creates a new file, truncating any existing one.
  virtual Status NewWritableFile(const std::string& path,
                                 std::unique_ptr<WritableFile>* result) = 0;

  // Like NewWritableFile, for a file written by many small appends each followed by Flush (the
  // write-ahead log). An implementation may make those appends cheaper: the POSIX file system
  // writes them into preallocated space of the file mapped into memory, so that they reach the
  // operating system — and survive a process crash — without a system call each. Such a file
  // may hold zeros past Size() until it is closed; Close() trims them and syncs. Default:
  // NewWritableFile.
  virtual Status NewLogFile(const std::string& path, std::unique_ptr<WritableFile>* result) {
    return NewWritableFile(path, result);
  }

  // Like NewRandomAccessFile, but reads may be served from a memory mapping of the file (see
  // RandomAccessFile::IsMemoryMapped): no system call and no copy per read. An I/O error while
  // the kernel pages the file in arrives as SIGBUS instead of an error code; an implementation
  // must turn it into RandomAccessFile::MappingStatus() (the POSIX file system installs a SIGBUS
  // handler for its mappings, see docs/durability.md) or not map. Default: NewRandomAccessFile.
  virtual Status NewMemoryMappedFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* result) {
    return NewRandomAccessFile(path, result);
  }

  // Ok if the path exists (file or directory), NotFound if it does not, IOError otherwise.
  virtual Status FileExists(const std::string& path) = 0;
  // Sets *is_dir. NotFound if the path does not exist.
  virtual Status IsDirectory(const std::string& path, bool* is_dir) = 0;
  // The names (not paths) of the entries of dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;

  virtual Status RemoveFile(const std::string& path) = 0;
  // Creates dir; ok if it already exists as a directory.
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;
  // Atomically replaces target with src (POSIX rename semantics).
  virtual Status RenameFile(const std::string& src, const std::string& target) = 0;
  // Makes the directory's entries (creations, renames, deletions) durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on the file at path, creating it if needed. Fails with Busy if the
  // lock is held, by this process or another.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
};

// The POSIX file system. Shared by every user in the process.
std::shared_ptr<FileSystem> DefaultFileSystem();

// A file system held in memory, private to the returned object. Tests use it for speed and to
// simulate power loss: see strata::CrashSimulation (src/fs/mem_fs.h) for the crash clone.
std::shared_ptr<FileSystem> NewMemFileSystem();

}  // namespace strata
