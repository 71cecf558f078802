// Background work: flushing frozen memtables, compactions (automatic and manual), deletion of
// obsolete files.

#include <chrono>

#include "db/db_impl.h"
#include "db/filename.h"

namespace strata {

namespace {

uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

}  // namespace

uint64_t DBImpl::NewOutputNumber() {
  MutexLock lock(&mutex_);
  const uint64_t number = versions_->NewFileNumber();
  pending_outputs_.insert(number);
  return number;
}

JobContext DBImpl::MakeJobContext() {
  JobContext ctx;
  ctx.dbname = dbname_;
  ctx.fs = fs_;
  ctx.options = &options_;
  ctx.icmp = &icmp_;
  ctx.table_cache = table_cache_.get();
  ctx.new_output_number = [this] { return NewOutputNumber(); };
  ctx.shutting_down = &shutting_down_;
  return ctx;
}

std::vector<SequenceNumber> DBImpl::LiveSnapshots() {
  std::vector<SequenceNumber> seqs;
  seqs.reserve(snapshots_.size());
  for (const SnapshotImpl& s : snapshots_) {
    const SequenceNumber seq = s.sequence();
    if (seqs.empty() || seqs.back() != seq) seqs.push_back(seq);
  }
  return seqs;
}

// ---- Flush --------------------------------------------------------------------------------------

void DBImpl::FlushThreadMain() {
  MutexLock lock(&mutex_);
  while (true) {
    while (!shutting_down_.load() && (imm_.empty() || !bg_error_.ok())) bg_cv_.Wait();
    if (shutting_down_.load()) break;
    const Status s = FlushOldestImmutable();
    if (!s.ok()) RecordBackgroundError(s);
    bg_cv_.SignalAll();
  }
}

Status DBImpl::FlushOldestImmutable() {
  const std::shared_ptr<MemTable> mem = imm_.front().mem;
  // Once this memtable is in an SST, the WALs before the next memtable's WAL are obsolete.
  const uint64_t next_log_number = imm_.size() > 1 ? imm_[1].log_number : logfile_number_;
  const std::vector<SequenceNumber> snapshots = LiveSnapshots();
  JobContext ctx = MakeJobContext();
  const auto start = std::chrono::steady_clock::now();

  FileMetaData meta;
  JobStats stats;
  std::unique_ptr<InternalIterator> iter = mem->NewIterator();
  mutex_.Unlock();
  Status s = FlushToTable(ctx, iter.get(), snapshots, &meta, &stats);
  if (s.ok() && meta.number != 0) s = fs_->SyncDir(dbname_);
  mutex_.Lock();

  if (s.ok()) {
    VersionEdit edit;
    int level = 0;
    if (meta.number != 0) {
      // A flush may skip L0 when nothing overlaps it, but never while a compaction runs: its
      // outputs are not in the current version yet and could overlap the flushed file.
      if (!compaction_running_) {
        level = versions_->current()->PickLevelForMemTableOutput(
            meta.smallest.user_key(), meta.largest.user_key(),
            10 * options_.target_file_size_base);
      }
      edit.AddFile(level, meta);
    }
    edit.SetLogNumber(next_log_number);
    s = versions_->LogAndApply(&edit);
    if (s.ok()) {
      imm_.pop_front();
      stat_flush_bytes_ += meta.file_size;
      stat_flushes_++;
      level_stats_[level].bytes_written += meta.file_size;
      level_stats_[level].micros += MicrosSince(start);
    }
  }
  if (meta.number != 0) pending_outputs_.erase(meta.number);
  if (s.ok()) DeleteObsoleteFiles();
  return s;
}

Status DBImpl::WaitForFlushOf(const std::shared_ptr<MemTable>& target) {
  while (true) {
    bool pending = false;
    for (const auto& entry : imm_) pending = pending || entry.mem == target;
    if (!pending) return Status::OK();
    if (!bg_error_.ok()) return bg_error_;
    if (shutting_down_.load()) return Status::IOError("DB is closing");
    bg_cv_.Wait();
  }
}

Status DBImpl::Flush() {
  std::shared_ptr<MemTable> target;
  {
    MutexLock lock(&mutex_);
    target = mem_;
  }
  // A write with no batch switches the memtable from the head of the commit queue.
  Status s = WriteInternal(WriteOptions(), nullptr);
  if (!s.ok()) return s;
  MutexLock lock(&mutex_);
  if (!imm_.empty()) target = imm_.back().mem;  // the newest frozen memtable covers all before it
  return WaitForFlushOf(target);
}

// ---- Compaction ---------------------------------------------------------------------------------

bool DBImpl::CompactionWanted() {
  if (!bg_error_.ok()) return false;
  if (manual_compaction_ != nullptr && !manual_compaction_->done) return true;
  return NeedsCompaction(options_, *versions_->current());
}

void DBImpl::CompactionThreadMain() {
  MutexLock lock(&mutex_);
  while (true) {
    while (!shutting_down_.load() && !CompactionWanted()) bg_cv_.Wait();
    if (shutting_down_.load()) break;
    // Never pick while a flush is being installed: its file is not in current() yet.
    versions_->WaitForManifestIdle();

    ManualCompaction* manual = manual_compaction_;
    std::unique_ptr<Compaction> c;
    if (manual != nullptr && !manual->done) {
      c = PickRangeCompaction(options_, versions_->current(), manual->level, manual->begin,
                              manual->end);
    } else {
      manual = nullptr;
      c = PickCompaction(options_, versions_->current());
    }
    Status s;
    if (c != nullptr) {
      s = RunOneCompaction(c.get());
      c.reset();  // releases the input version, so its replaced files can go
      if (s.ok()) DeleteObsoleteFiles();
    }
    if (!s.ok() && !shutting_down_.load()) RecordBackgroundError(s);
    if (manual != nullptr) {
      manual->done = true;
      manual->status = s;
    }
    bg_cv_.SignalAll();
  }
}

Status DBImpl::RunOneCompaction(Compaction* c) {
  compaction_running_ = true;
  const auto start = std::chrono::steady_clock::now();
  Status s;
  LevelStats& stats = level_stats_[c->output_level()];
  if (c->IsTrivialMove()) {
    const FileMetaData& f = *c->inputs(0)[0];
    VersionEdit edit;
    edit.RemoveFile(c->level(), f.number);
    edit.AddFile(c->output_level(), f);
    s = versions_->LogAndApply(&edit);
  } else {
    const std::vector<SequenceNumber> snapshots = LiveSnapshots();
    JobContext ctx = MakeJobContext();
    std::vector<FileMetaData> outputs;
    JobStats job_stats;
    mutex_.Unlock();
    s = RunCompaction(ctx, c, snapshots, &outputs, &job_stats);
    if (s.ok() && !outputs.empty()) s = fs_->SyncDir(dbname_);
    mutex_.Lock();
    if (s.ok()) s = InstallCompaction(c, outputs);
    for (const FileMetaData& f : outputs) pending_outputs_.erase(f.number);
    if (s.ok()) {
      stats.bytes_read += job_stats.bytes_read;
      stats.bytes_written += job_stats.bytes_written;
    }
  }
  stats.compactions++;
  stats.micros += MicrosSince(start);
  compaction_running_ = false;
  return s;
}

Status DBImpl::InstallCompaction(Compaction* c, const std::vector<FileMetaData>& outputs) {
  VersionEdit edit;
  c->AddInputDeletions(&edit);
  for (const FileMetaData& f : outputs) edit.AddFile(c->output_level(), f);
  return versions_->LogAndApply(&edit);
}

Status DBImpl::RunManualCompaction(int level, const InternalKey* begin, const InternalKey* end) {
  ManualCompaction manual;
  manual.level = level;
  manual.begin = begin;
  manual.end = end;
  MutexLock lock(&mutex_);
  while (manual_compaction_ != nullptr) {
    if (!bg_error_.ok()) return bg_error_;
    bg_cv_.Wait();
  }
  manual_compaction_ = &manual;
  bg_cv_.SignalAll();
  while (!manual.done && bg_error_.ok() && !shutting_down_.load()) bg_cv_.Wait();
  manual_compaction_ = nullptr;
  bg_cv_.SignalAll();
  if (!manual.done) return bg_error_.ok() ? Status::IOError("DB is closing") : bg_error_;
  return manual.status;
}

Status DBImpl::CompactRange(const std::string_view* begin, const std::string_view* end) {
  Status s = Flush();
  if (!s.ok()) return s;
  int max_level_with_files = 1;
  {
    MutexLock lock(&mutex_);
    const std::shared_ptr<const Version> v = versions_->current();
    for (int level = 1; level < kNumLevels; level++) {
      if (v->OverlapInLevel(level, begin, end)) max_level_with_files = level;
    }
  }
  std::unique_ptr<InternalKey> begin_key, end_key;
  if (begin != nullptr) {
    begin_key = std::make_unique<InternalKey>(*begin, kMaxSequenceNumber, kValueTypeForSeek);
  }
  if (end != nullptr) end_key = std::make_unique<InternalKey>(*end, 0, kTypeDeletion);
  for (int level = 0; level < max_level_with_files && s.ok(); level++) {
    s = RunManualCompaction(level, begin_key.get(), end_key.get());
  }
  return s;
}

// ---- Obsolete files -----------------------------------------------------------------------------

void DBImpl::DeleteObsoleteFiles() {
  // After an error the durable state is uncertain: keep every file until reopen.
  if (!bg_error_.ok()) return;
  std::set<uint64_t> live = pending_outputs_;
  versions_->AddLiveFiles(&live);
  const uint64_t min_log = versions_->LogNumber();
  const uint64_t manifest = versions_->ManifestFileNumber();
  // Files numbered from here on were created after `live` was taken.
  const uint64_t first_unknown = versions_->PeekNextFileNumber();

  std::vector<std::string> children;
  mutex_.Unlock();
  fs_->GetChildren(dbname_, &children).PermitUncheckedError();  // a failed listing deletes nothing
  std::vector<std::string> doomed;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kLogFile:
        keep = number >= min_log;
        break;
      case FileType::kDescriptorFile:
        keep = number >= manifest;
        break;
      case FileType::kTableFile:
        keep = live.count(number) != 0 || number >= first_unknown;
        break;
      case FileType::kTempFile:
        // A CURRENT update in progress uses the number of a MANIFEST newer than the live one.
        keep = number > manifest;
        break;
      case FileType::kCurrentFile:
      case FileType::kLockFile:
        break;
    }
    if (!keep) {
      if (type == FileType::kTableFile) table_cache_->Evict(number);
      doomed.push_back(dbname_ + "/" + name);
    }
  }
  for (const std::string& path : doomed) fs_->RemoveFile(path).PermitUncheckedError();
  mutex_.Lock();
}

}  // namespace strata
