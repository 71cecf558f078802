// DBImpl: construction, shutdown, the read path, snapshots and properties.

#include "db/db_impl.h"

#include <cinttypes>
#include <cstdio>

#include "db/db_iter.h"
#include "db/filename.h"
#include "iter/merging_iterator.h"

namespace strata {

DBImpl::DBImpl(const Options& options, std::string dbname)
    : options_(options),
      dbname_(std::move(dbname)),
      fs_(options_.file_system.get()),
      icmp_(options_.comparator),
      bg_cv_(&mutex_) {
  table_options_.comparator = &icmp_;
  table_options_.block_size = options_.block_size;
  table_options_.block_restart_interval = options_.block_restart_interval;
  table_options_.bloom_bits_per_key = options_.bloom_bits_per_key;
  table_options_.compression = options_.compression;
  table_options_.use_mmap_reads = options_.use_mmap_reads;
  if (options_.block_cache_size > 0) table_options_.block_cache = NewLRUCache(options_.block_cache_size);
  table_cache_ = std::make_unique<TableCache>(dbname_, fs_, table_options_, options_.max_open_files);
  versions_ = std::make_unique<VersionSet>(dbname_, &options_, fs_, table_cache_.get(), &icmp_,
                                           &mutex_);
}

DBImpl::~DBImpl() {
  {
    MutexLock lock(&mutex_);
    shutting_down_.store(true);
    bg_cv_.SignalAll();
  }
  if (flush_thread_.joinable()) flush_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  if (logfile_) {
    // Process-crash durability already holds (every write was flushed to the OS); closing
    // reports nothing anyone could act on now.
    logfile_->Close().PermitUncheckedError();
  }
  log_.reset();
  logfile_.reset();
  versions_.reset();
  table_cache_.reset();
  db_lock_.reset();
}

DBImpl::ReadView DBImpl::GetReadView(const ReadOptions& options) {
  ReadView view;
  MutexLock lock(&mutex_);
  view.sequence = options.snapshot != nullptr
                      ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
                      : versions_->LastSequence();
  view.mem = mem_;
  view.imm.reserve(imm_.size());
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it) view.imm.push_back(it->mem);
  view.version = versions_->current();
  return view;
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  const ReadView view = GetReadView(options);
  const LookupKey lkey(key, view.sequence);
  Status s;
  if (view.mem->Get(lkey, value, &s)) return s;
  for (const auto& imm : view.imm) {
    if (imm->Get(lkey, value, &s)) return s;
  }
  return view.version->Get(options, lkey, value);
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  auto view = std::make_shared<ReadView>(GetReadView(options));
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(view->mem->NewIterator());
  for (const auto& imm : view->imm) children.push_back(imm->NewIterator());
  view->version->AddIterators(options, &children);
  const SequenceNumber sequence = view->sequence;
  return NewDBIterator(icmp_.user_comparator(), NewMergingIterator(&icmp_, std::move(children)),
                       sequence, std::move(view));
}

const Snapshot* DBImpl::GetSnapshot() {
  MutexLock lock(&mutex_);
  snapshots_.emplace_back(versions_->LastSequence());
  return &snapshots_.back();
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  MutexLock lock(&mutex_);
  for (auto it = snapshots_.begin(); it != snapshots_.end(); ++it) {
    if (&*it == snapshot) {
      snapshots_.erase(it);
      return;
    }
  }
}

Status DBImpl::VerifyChecksums() {
  std::shared_ptr<const Version> v;
  {
    MutexLock lock(&mutex_);
    v = versions_->current();
    const Status s = versions_->VerifyManifest();
    if (!s.ok()) return s;
  }
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : v->files(level)) {
      std::shared_ptr<Table> table;
      Status s = table_cache_->FindTable(f->number, f->file_size, &table);
      if (s.ok()) s = table->VerifyChecksums();
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

bool DBImpl::GetProperty(std::string_view property, std::string* value) {
  value->clear();
  constexpr std::string_view kPrefix = "strata.";
  if (!property.starts_with(kPrefix)) return false;
  const std::string_view name = property.substr(kPrefix.size());
  MutexLock lock(&mutex_);
  const std::shared_ptr<const Version>& v = versions_->current();

  constexpr std::string_view kFilesAtLevel = "num-files-at-level";
  if (name.starts_with(kFilesAtLevel)) {
    const std::string_view digits = name.substr(kFilesAtLevel.size());
    if (digits.empty() || digits.size() > 2) return false;
    int level = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return false;
      level = level * 10 + (c - '0');
    }
    if (level >= kNumLevels) return false;
    *value = std::to_string(v->NumFiles(level));
    return true;
  }
  if (name == "stats") {
    *value = StatsString();
    return true;
  }
  if (name == "sstables") {
    *value = v->DebugString();
    return true;
  }
  if (name == "approximate-memory-usage") {
    size_t total = mem_->ApproximateMemoryUsage();
    for (const auto& imm : imm_) total += imm.mem->ApproximateMemoryUsage();
    *value = std::to_string(total);
    return true;
  }
  if (name == "background-error") {
    *value = bg_error_.ToString();
    return true;
  }
  return false;
}

std::string DBImpl::StatsString() {
  const std::shared_ptr<const Version>& v = versions_->current();
  const std::array<double, kNumLevels> scores = CompactionScores(options_, *v);
  std::string out;
  char line[256];
  out.append(
      "Level  Files   Size(MB)  Score  Read(MB)  Write(MB)  Compactions  Time(s)\n"
      "--------------------------------------------------------------------------\n");
  uint64_t total_files = 0, total_bytes = 0, total_read = 0, total_written = 0;
  for (int level = 0; level < kNumLevels; level++) {
    const LevelStats& st = level_stats_[level];
    const uint64_t bytes = v->NumLevelBytes(level);
    total_files += static_cast<uint64_t>(v->NumFiles(level));
    total_bytes += bytes;
    total_read += st.bytes_read;
    total_written += st.bytes_written;
    std::snprintf(line, sizeof(line), "L%-5d %5d %10.2f %6.2f %9.2f %10.2f %12" PRIu64 " %8.2f\n",
                  level, v->NumFiles(level), bytes / 1048576.0, scores[level],
                  st.bytes_read / 1048576.0, st.bytes_written / 1048576.0, st.compactions,
                  st.micros / 1e6);
    out.append(line);
  }
  const uint64_t user = stat_user_bytes_.load();
  const uint64_t wal = stat_wal_bytes_.load();
  std::snprintf(line, sizeof(line), "Sum    %5" PRIu64 " %10.2f %6s %9.2f %10.2f\n", total_files,
                total_bytes / 1048576.0, "", total_read / 1048576.0, total_written / 1048576.0);
  out.append(line);
  std::snprintf(line, sizeof(line),
                "User writes: %" PRIu64 " updates in %" PRIu64 " WAL records, %.2f MB; WAL: %.2f MB, "
                "%" PRIu64 " syncs\n",
                stat_writes_.load(), stat_write_groups_.load(), user / 1048576.0, wal / 1048576.0,
                stat_wal_syncs_.load());
  out.append(line);
  std::snprintf(line, sizeof(line), "Flushes: %" PRIu64 ", %.2f MB\n", stat_flushes_,
                stat_flush_bytes_ / 1048576.0);
  out.append(line);
  const double amp_sst = user == 0 ? 0.0 : static_cast<double>(total_written) / user;
  const double amp_all = user == 0 ? 0.0 : static_cast<double>(total_written + wal) / user;
  std::snprintf(line, sizeof(line),
                "Write amplification: %.2f (SST bytes written / user bytes), %.2f with WAL\n",
                amp_sst, amp_all);
  out.append(line);
  std::snprintf(line, sizeof(line), "Write delay: %.3f s slowed, %.3f s stopped\n",
                stat_delay_micros_.load() / 1e6, stat_stall_micros_.load() / 1e6);
  out.append(line);
  out.append("Background error: " + bg_error_.ToString() + "\n");
  return out;
}

}  // namespace strata
