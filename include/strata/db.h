// strata/db.h — the whole public API of strata. Include this one header.
//
// A DB is a persistent, ordered map from byte-string keys to byte-string values, stored in a
// directory. It is safe for concurrent use by any number of threads without outside locking.
// Closing a DB is destroying it: the destructor waits for background flushes and compactions.
//
// Durability: see WriteOptions::sync and docs/durability.md. Every acknowledged write survives
// a process crash; with sync=true it also survives a machine crash or power loss.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "strata/comparator.h"
#include "strata/file_system.h"
#include "strata/iterator.h"
#include "strata/options.h"
#include "strata/status.h"
#include "strata/write_batch.h"

namespace strata {

// A consistent, read-only view of the DB as of the moment it was taken. Opaque: obtain it from
// DB::GetSnapshot and give it back with DB::ReleaseSnapshot.
class Snapshot {
 protected:
  virtual ~Snapshot() = default;
};

class DB {
 public:
  // Opens the DB stored at path. On success *db holds it; on failure *db is null and the status
  // says what went wrong:
  //   InvalidArgument — bad options (named), missing DB without create_if_missing, existing DB
  //                     with error_if_exists, path is not a directory, comparator mismatch;
  //   Busy            — another DB object (in this or another process) holds the path's LOCK;
  //   NotSupported    — the store was written by a newer format version;
  //   Corruption      — a damaged MANIFEST, SST or WAL (other than a torn tail of the newest
  //                     WAL), naming the file and offset;
  //   IOError         — the file system failed.
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  virtual ~DB() = default;

  // Sets key to value. InvalidArgument if key or value exceeds kMaxKeySize / kMaxValueSize.
  virtual Status Put(const WriteOptions& options, std::string_view key,
                     std::string_view value) = 0;
  // Removes key (not an error if it is absent).
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies the batch atomically. The batch is not modified.
  virtual Status Write(const WriteOptions& options, WriteBatch* batch) = 0;

  // Sets *value to the value of key. NotFound if the key is absent.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;

  // A new iterator over the DB (see strata/iterator.h). Destroy it before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // A snapshot of the current state. Release it with ReleaseSnapshot before closing the DB.
  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Writes the memtable to an SST and waits until it is durable.
  virtual Status Flush() = 0;
  // Compacts every file overlapping [*begin, *end] down the levels and waits. A null bound is
  // unbounded; CompactRange(nullptr, nullptr) compacts the whole DB.
  virtual Status CompactRange(const std::string_view* begin, const std::string_view* end) = 0;

  // Reads every block of every live SST (and the MANIFEST) and verifies its checksum; returns
  // the first Corruption found, naming the file and offset.
  virtual Status VerifyChecksums() = 0;

  // Introspection. Known properties:
  //   "strata.stats"                 — per-level files and bytes, compaction I/O, write amp.
  //   "strata.num-files-at-level<N>" — number of SSTs at level N.
  //   "strata.sstables"              — every live SST with its key range.
  //   "strata.approximate-memory-usage" — bytes held by memtables.
  //   "strata.background-error"      — "OK", or the error that stopped writes.
  // Returns false for an unknown property.
  virtual bool GetProperty(std::string_view property, std::string* value) = 0;
};

// Deletes every file of the DB at path, then the directory if it is empty. Ok if there is no DB.
// Busy if the DB is open.
Status DestroyDB(const std::string& path, const Options& options);

}  // namespace strata
