// DB::Open: option validation, directory checks, MANIFEST recovery and WAL replay.

#include <algorithm>
#include <cmath>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "wal/log_reader.h"

namespace strata {

namespace {

Status BadOption(const char* field, const std::string& rule, const std::string& got) {
  return Status::InvalidArgument(std::string("Options.") + field + ": " + rule + ", got " + got);
}

template <typename T>
Status CheckRange(const char* field, T value, T lo, T hi) {
  if (value < lo || value > hi) {
    return BadOption(field, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
                     std::to_string(value));
  }
  return Status::OK();
}

bool CompressionSupported(CompressionType type) {
  switch (type) {
    case CompressionType::kNone:
      return true;
    case CompressionType::kSnappy:
#ifdef STRATA_HAVE_SNAPPY
      return true;
#else
      return false;
#endif
    case CompressionType::kZstd:
#ifdef STRATA_HAVE_ZSTD
      return true;
#else
      return false;
#endif
  }
  return false;
}

}  // namespace

Status ValidateOptions(const Options& o) {
  Status s;
  auto check = [&s](Status r) {
    if (s.ok()) s = std::move(r);
  };
  check(CheckRange<size_t>("write_buffer_size", o.write_buffer_size, 1024, size_t{64} << 30));
  check(CheckRange("max_write_buffer_number", o.max_write_buffer_number, 2, 64));
  check(CheckRange<size_t>("block_size", o.block_size, 64, size_t{256} << 20));
  check(CheckRange("block_restart_interval", o.block_restart_interval, 1, 1 << 16));
  check(CheckRange("bloom_bits_per_key", o.bloom_bits_per_key, 0, 64));
  check(CheckRange("max_open_files", o.max_open_files, 10, 1 << 24));
  check(CheckRange<size_t>("block_cache_size", o.block_cache_size, 0, size_t{1} << 46));
  check(CheckRange("level0_file_num_compaction_trigger", o.level0_file_num_compaction_trigger, 1,
                   1 << 16));
  check(CheckRange("level0_slowdown_writes_trigger", o.level0_slowdown_writes_trigger,
                   o.level0_file_num_compaction_trigger, 1 << 16));
  check(CheckRange("level0_stop_writes_trigger", o.level0_stop_writes_trigger,
                   o.level0_slowdown_writes_trigger, 1 << 16));
  check(CheckRange<uint64_t>("max_bytes_for_level_base", o.max_bytes_for_level_base, 1024,
                             uint64_t{1} << 50));
  check(CheckRange<uint64_t>("target_file_size_base", o.target_file_size_base, 1024,
                             uint64_t{1} << 40));
  if (!(o.max_bytes_for_level_multiplier >= 1.0 && o.max_bytes_for_level_multiplier <= 1000.0)) {
    check(BadOption("max_bytes_for_level_multiplier", "must be in [1, 1000]",
                    std::to_string(o.max_bytes_for_level_multiplier)));
  }
  if (!CompressionSupported(o.compression)) {
    check(Status::NotSupported("Options.compression: this build of strata lacks compression type " +
                               std::to_string(static_cast<int>(o.compression))));
  }
  return s;
}

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  db->reset();
  if (path.empty()) return Status::InvalidArgument("DB path is empty");
  Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  Options sanitized = options;
  if (sanitized.comparator == nullptr) sanitized.comparator = BytewiseComparator();
  if (sanitized.file_system == nullptr) sanitized.file_system = DefaultFileSystem();
  std::string dbname = path;
  while (dbname.size() > 1 && dbname.back() == '/') dbname.pop_back();

  auto impl = std::make_unique<DBImpl>(sanitized, dbname);
  s = impl->OpenAndRecover();
  if (!s.ok()) return s;
  *db = std::move(impl);
  return s;
}

Status DBImpl::PrepareDirectory(bool* is_new) {
  bool is_dir = false;
  Status s = fs_->IsDirectory(dbname_, &is_dir);
  if (s.IsNotFound()) {
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_, "does not exist (Options.create_if_missing is false)");
    }
    s = fs_->CreateDirIfMissing(dbname_);
    if (!s.ok()) return s;
    // Make the new directory's own entry durable.
    const size_t slash = dbname_.rfind('/');
    const std::string parent =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : dbname_.substr(0, slash));
    s = fs_->SyncDir(parent);
    if (!s.ok()) return s;
  } else if (!s.ok()) {
    return s;
  } else if (!is_dir) {
    return Status::InvalidArgument(dbname_, "is not a directory");
  }

  s = fs_->LockFile(LockFileName(dbname_), &db_lock_);
  if (!s.ok()) return s;

  s = fs_->FileExists(CurrentFileName(dbname_));
  if (s.ok()) {
    if (options_.error_if_exists) {
      return Status::InvalidArgument(dbname_, "exists (Options.error_if_exists is true)");
    }
    *is_new = false;
    return Status::OK();
  }
  if (!s.IsNotFound()) return s;

  // No CURRENT. Refuse to start over on top of the files of a DB whose CURRENT was lost.
  std::vector<std::string> children;
  s = fs_->GetChildren(dbname_, &children);
  if (!s.ok()) return s;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) &&
        (type == FileType::kTableFile || type == FileType::kLogFile)) {
      return Status::Corruption(CurrentFileName(dbname_),
                                "is missing but the directory holds DB files such as " + name);
    }
  }
  if (!options_.create_if_missing) {
    return Status::InvalidArgument(dbname_,
                                   "holds no DB (Options.create_if_missing is false)");
  }
  *is_new = true;
  return Status::OK();
}

Status DBImpl::CreateLogFile(uint64_t number, std::unique_ptr<WritableFile>* file) {
  Status s = fs_->NewLogFile(LogFileName(dbname_, number), file);
  // The WAL's directory entry must be durable before any synced write to it is acknowledged.
  if (s.ok()) s = fs_->SyncDir(dbname_);
  return s;
}

Status DBImpl::OpenAndRecover() {
  bool is_new = false;
  Status s = PrepareDirectory(&is_new);
  if (!s.ok()) return s;

  MutexLock lock(&mutex_);
  if (is_new) {
    s = versions_->CreateNew();
    if (!s.ok()) return s;
  }
  s = versions_->Recover();
  if (!s.ok()) return s;
  s = CheckLiveFilesExist();
  if (!s.ok()) return s;

  VersionEdit edit;
  s = RecoverLogFiles(&edit);
  if (!s.ok()) return s;

  // Retire every replayed WAL in the MANIFEST before the new WAL exists: a crash in between
  // then leaves no WAL at all rather than a new, empty WAL behind an old one with a torn tail.
  const uint64_t new_log_number = versions_->NewFileNumber();
  edit.SetLogNumber(new_log_number);
  s = versions_->LogAndApply(&edit);
  if (!s.ok()) return s;

  std::unique_ptr<WritableFile> file;
  mutex_.Unlock();
  s = CreateLogFile(new_log_number, &file);
  mutex_.Lock();
  if (!s.ok()) return s;
  logfile_ = std::move(file);
  log_ = std::make_unique<log::Writer>(logfile_.get(), log::LogKind::kWal, new_log_number);
  logfile_number_ = new_log_number;
  mem_ = std::make_shared<MemTable>(icmp_);

  // Leftover temp files are from interrupted CURRENT updates: nothing refers to them.
  DeleteObsoleteFiles();
  flush_thread_ = std::thread([this] { FlushThreadMain(); });
  compaction_thread_ = std::thread([this] { CompactionThreadMain(); });
  bg_cv_.SignalAll();
  return Status::OK();
}

Status DBImpl::CheckLiveFilesExist() {
  std::set<uint64_t> live;
  versions_->AddLiveFiles(&live);
  if (live.empty()) return Status::OK();
  std::vector<std::string> children;
  Status s = fs_->GetChildren(dbname_, &children);
  if (!s.ok()) return s;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && type == FileType::kTableFile) live.erase(number);
  }
  if (!live.empty()) {
    return Status::Corruption(dbname_, "the MANIFEST refers to missing SST file " +
                                           TableFileName(dbname_, *live.begin()) + " (and " +
                                           std::to_string(live.size() - 1) + " more)");
  }
  return Status::OK();
}

Status DBImpl::RecoverLogFiles(VersionEdit* edit) {
  std::vector<std::string> children;
  mutex_.Unlock();
  Status s = fs_->GetChildren(dbname_, &children);
  mutex_.Lock();
  if (!s.ok()) return s;
  const uint64_t min_log = versions_->LogNumber();
  std::vector<uint64_t> logs;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type)) {
      versions_->MarkFileNumberUsed(number);
      if (type == FileType::kLogFile && number >= min_log) logs.push_back(number);
    }
  }
  std::sort(logs.begin(), logs.end());

  std::shared_ptr<MemTable> mem;
  SequenceNumber max_sequence = versions_->LastSequence();
  // A torn tail ends the log only if nothing was written after it: a later WAL holding records
  // would make the recovered state a prefix with a hole.
  Status torn_tail;
  for (size_t i = 0; i < logs.size() && s.ok(); i++) {
    bool had_records = false;
    Status tail;
    s = ReplayLogFile(logs[i], edit, &mem, &max_sequence, &tail, &had_records);
    if (s.ok() && had_records && !torn_tail.ok()) s = torn_tail;
    if (s.ok() && !tail.ok()) torn_tail = tail;
  }
  if (s.ok() && mem != nullptr && mem->NumEntries() > 0) s = FlushRecoveredMemTable(mem, edit);
  if (s.ok()) versions_->SetLastSequence(max_sequence);
  return s;
}

Status DBImpl::ReplayLogFile(uint64_t log_number, VersionEdit* edit,
                             std::shared_ptr<MemTable>* mem, SequenceNumber* max_sequence,
                             Status* torn_tail, bool* had_records) {
  const std::string fname = LogFileName(dbname_, log_number);
  std::unique_ptr<SequentialFile> file;
  Status s = fs_->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  log::Reader reader(file.get(), fname, log::LogKind::kWal, log_number);
  std::string scratch;
  std::string_view record;
  WriteBatch batch;
  mutex_.Unlock();
  while (s.ok() && reader.ReadRecord(&record, &scratch)) {
    *had_records = true;
    s = WriteBatchInternal::SetContents(&batch, record);
    if (!s.ok()) break;
    const SequenceNumber first = WriteBatchInternal::Sequence(&batch);
    const uint32_t count = WriteBatchInternal::Count(&batch);
    // Writes are numbered without gaps and the MANIFEST's last sequence covers everything in
    // SSTs, so a gap means lost data: a damaged MANIFEST, or a missing WAL.
    if (first > *max_sequence + 1) {
      s = Status::Corruption("gap in sequence numbers: the batch starts at " +
                             std::to_string(first) + " but recovered data ends at " +
                             std::to_string(*max_sequence));
      break;
    }
    if (*mem == nullptr) *mem = std::make_shared<MemTable>(icmp_);
    s = WriteBatchInternal::InsertInto(&batch, mem->get());
    if (!s.ok()) break;
    if (count > 0) *max_sequence = std::max(*max_sequence, first + count - 1);
    if ((*mem)->BufferedBytes() > options_.write_buffer_size) {
      mutex_.Lock();
      s = FlushRecoveredMemTable(*mem, edit);
      mutex_.Unlock();
      mem->reset();
    }
  }
  if (!s.ok()) {
    s = s.WithContext(fname + " record ending at offset " +
                      std::to_string(reader.LastRecordEndOffset()));
  } else if (!reader.status().ok()) {
    // A torn tail (writes never acknowledged as durable, or lost with the OS cache) ends the
    // log; the caller checks that no later WAL holds writes. Anything else is damage.
    if (reader.tail_is_torn()) {
      *torn_tail = reader.status();
    } else {
      s = reader.status();
    }
  }
  mutex_.Lock();
  return s;
}

Status DBImpl::FlushRecoveredMemTable(const std::shared_ptr<MemTable>& mem, VersionEdit* edit) {
  JobContext ctx = MakeJobContext();
  FileMetaData meta;
  JobStats stats;
  std::unique_ptr<InternalIterator> iter = mem->NewIterator();
  const std::vector<SequenceNumber> no_snapshots;
  mutex_.Unlock();
  Status s = FlushToTable(ctx, iter.get(), no_snapshots, &meta, &stats);
  if (s.ok() && meta.number != 0) s = fs_->SyncDir(dbname_);
  mutex_.Lock();
  if (s.ok() && meta.number != 0) {
    edit->AddFile(0, meta);
    stat_flush_bytes_ += meta.file_size;
    stat_flushes_++;
  }
  return s;
}

Status DestroyDB(const std::string& path, const Options& options) {
  std::shared_ptr<FileSystem> fs = options.file_system ? options.file_system : DefaultFileSystem();
  std::vector<std::string> children;
  Status s = fs->GetChildren(path, &children);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  std::unique_ptr<FileLock> lock;
  s = fs->LockFile(LockFileName(path), &lock);
  if (!s.ok()) return s;
  Status result;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && type != FileType::kLockFile) {
      const Status del = fs->RemoveFile(path + "/" + name);
      if (result.ok() && !del.ok()) result = del;
    }
  }
  lock.reset();
  fs->RemoveFile(LockFileName(path)).PermitUncheckedError();
  // Removing the directory fails harmlessly if it holds files strata does not own.
  fs->RemoveDir(path).PermitUncheckedError();
  return result;
}

}  // namespace strata
