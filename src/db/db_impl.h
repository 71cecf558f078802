// DBImpl: the implementation of strata::DB.
//
// Concurrency model:
//  - mutex_ guards the mutable state below (memtable list, writer queue, snapshots, background
//    state). It is never held during file I/O except where noted.
//  - Writes form a queue; the writer at the front is the leader of a group: it appends one WAL
//    record for the whole group (syncing once if any member asked), inserts the group into the
//    memtable, publishes the new last sequence and wakes the members (commit_queue in
//    db_impl_write.cc). Only the leader switches memtables and WALs.
//  - A flush thread writes frozen memtables to L0 tables, oldest first; a compaction thread runs
//    one compaction at a time. Both install their results through VersionSet::LogAndApply.
//  - After a failed WAL, SST or MANIFEST write or sync, bg_error_ is set: reads go on, every
//    write fails with that error until the DB is reopened (durability rule 7).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "compaction/compaction.h"
#include "compaction/job.h"
#include "db/dbformat.h"
#include "memtable/memtable.h"
#include "sst/table_cache.h"
#include "strata/db.h"
#include "util/mutex.h"
#include "version/version_set.h"
#include "wal/log_writer.h"

namespace strata {

class DBImpl final : public DB {
 public:
  // options must already be validated (ValidateOptions) and have comparator/file_system set.
  DBImpl(const Options& options, std::string dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* batch) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Flush() override;
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override;
  Status VerifyChecksums() override;
  bool GetProperty(std::string_view property, std::string* value) override;

  // Opens or creates the DB files and starts the background threads. Called once, by DB::Open.
  Status OpenAndRecover();

 private:
  struct Writer;
  struct CommitGroup;
  struct ImmutableMemTable {
    std::shared_ptr<MemTable> mem;
    uint64_t log_number;  // the WAL holding this memtable's writes
  };
  class SnapshotImpl final : public Snapshot {
   public:
    explicit SnapshotImpl(SequenceNumber seq) : sequence_(seq) {}
    ~SnapshotImpl() override = default;
    SequenceNumber sequence() const { return sequence_; }

   private:
    const SequenceNumber sequence_;
  };
  struct LevelStats {
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    uint64_t compactions = 0;
    uint64_t micros = 0;
  };
  struct ManualCompaction {
    int level = 0;
    const InternalKey* begin = nullptr;
    const InternalKey* end = nullptr;
    bool done = false;
    Status status;
  };
  // What a read needs, taken under the mutex in one step.
  struct ReadView {
    std::shared_ptr<MemTable> mem;
    std::vector<std::shared_ptr<MemTable>> imm;  // newest first
    std::shared_ptr<const Version> version;
    SequenceNumber sequence = 0;
  };

  // ---- Open (db_impl_open.cc) ----
  Status PrepareDirectory(bool* is_new);
  Status RecoverLogFiles(VersionEdit* edit) REQUIRES(mutex_);
  Status ReplayLogFile(uint64_t log_number, VersionEdit* edit, std::shared_ptr<MemTable>* mem,
                       SequenceNumber* max_sequence, Status* torn_tail, bool* had_records)
      REQUIRES(mutex_);
  Status FlushRecoveredMemTable(const std::shared_ptr<MemTable>& mem, VersionEdit* edit)
      REQUIRES(mutex_);
  Status CheckLiveFilesExist() REQUIRES(mutex_);
  Status CreateLogFile(uint64_t number, std::unique_ptr<WritableFile>* file);

  // ---- Writes (db_impl_write.cc) ----
  // batch == nullptr forces a memtable switch (used by Flush).
  Status WriteInternal(const WriteOptions& options, WriteBatch* batch);
  Status MakeRoomForWrite(bool force, size_t write_bytes) REQUIRES(mutex_);
  Status SwitchMemTable() REQUIRES(mutex_);
  CommitGroup BuildGroup(Writer* leader) REQUIRES(mutex_);
  void RecordBackgroundError(const Status& s) REQUIRES(mutex_);

  // ---- Background work (db_impl_background.cc) ----
  void FlushThreadMain();
  void CompactionThreadMain();
  Status FlushOldestImmutable() REQUIRES(mutex_);
  Status RunOneCompaction(Compaction* c) REQUIRES(mutex_);
  Status InstallCompaction(Compaction* c, const std::vector<FileMetaData>& outputs)
      REQUIRES(mutex_);
  bool CompactionWanted() REQUIRES(mutex_);
  void DeleteObsoleteFiles() REQUIRES(mutex_);
  JobContext MakeJobContext();
  uint64_t NewOutputNumber() EXCLUDES(mutex_);
  std::vector<SequenceNumber> LiveSnapshots() REQUIRES(mutex_);
  int L0FileCount() REQUIRES(mutex_);
  Status RunManualCompaction(int level, const InternalKey* begin, const InternalKey* end)
      EXCLUDES(mutex_);
  Status WaitForFlushOf(const std::shared_ptr<MemTable>& target) REQUIRES(mutex_);

  // ---- Reads (db_impl.cc) ----
  ReadView GetReadView(const ReadOptions& options) EXCLUDES(mutex_);
  std::string StatsString() REQUIRES(mutex_);

  // ---- Immutable after construction ----
  const Options options_;
  const std::string dbname_;
  FileSystem* const fs_;
  const InternalKeyComparator icmp_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;

  Mutex mutex_;
  CondVar bg_cv_;  // background state changed: flush/compaction finished, error, shutdown
  std::atomic<bool> shutting_down_{false};

  std::unique_ptr<FileLock> db_lock_;
  std::unique_ptr<VersionSet> versions_;

  // ---- Memtables and WAL ----
  std::shared_ptr<MemTable> mem_ GUARDED_BY(mutex_);
  std::deque<ImmutableMemTable> imm_ GUARDED_BY(mutex_);  // oldest first
  // Owned by the commit leader while it writes (outside the mutex); replaced under the mutex
  // only by the leader.
  std::unique_ptr<WritableFile> logfile_;
  std::unique_ptr<log::Writer> log_;
  uint64_t logfile_number_ GUARDED_BY(mutex_) = 0;

  // ---- Writers ----
  std::deque<Writer*> writers_ GUARDED_BY(mutex_);
  WriteBatch group_batch_;  // scratch of the leader: the merged batch of a group

  // ---- Snapshots ----
  std::list<SnapshotImpl> snapshots_ GUARDED_BY(mutex_);  // oldest first

  // ---- Background state ----
  Status bg_error_ GUARDED_BY(mutex_);
  std::set<uint64_t> pending_outputs_ GUARDED_BY(mutex_);
  bool compaction_running_ GUARDED_BY(mutex_) = false;
  ManualCompaction* manual_compaction_ GUARDED_BY(mutex_) = nullptr;
  std::thread flush_thread_;
  std::thread compaction_thread_;

  // ---- Statistics ----
  std::atomic<uint64_t> stat_user_bytes_{0};
  std::atomic<uint64_t> stat_wal_bytes_{0};
  std::atomic<uint64_t> stat_wal_syncs_{0};
  std::atomic<uint64_t> stat_write_groups_{0};
  std::atomic<uint64_t> stat_writes_{0};
  std::atomic<uint64_t> stat_delay_micros_{0};
  std::atomic<uint64_t> stat_stall_micros_{0};
  std::array<LevelStats, kNumLevels> level_stats_ GUARDED_BY(mutex_);
  uint64_t stat_flush_bytes_ GUARDED_BY(mutex_) = 0;
  uint64_t stat_flushes_ GUARDED_BY(mutex_) = 0;
};

// Checks every field of options; InvalidArgument naming the first bad field.
Status ValidateOptions(const Options& options);

}  // namespace strata
