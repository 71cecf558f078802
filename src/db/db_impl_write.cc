// The write path: the commit queue (group commit), memtable and WAL switches, write slowdown.

#include <chrono>
#include <thread>

#include "db/db_impl.h"
#include "db/write_batch_internal.h"

namespace strata {

// A write waiting in the commit queue. Lives on the writer's stack.
struct DBImpl::Writer {
  explicit Writer(Mutex* mu) : cv(mu) {}
  WriteBatch* batch = nullptr;  // null: a forced memtable switch
  bool sync = false;
  bool done = false;
  Status status;
  CondVar cv;
};

// The writes a leader commits together.
struct DBImpl::CommitGroup {
  WriteBatch* batch = nullptr;  // the leader's batch, or group_batch_ when merged
  Writer* last = nullptr;       // the last writer in the group
  bool sync = false;
};

namespace {

// Writers are grouped up to this many bytes; a small first write limits the group further so
// that its latency is not dominated by followers.
constexpr size_t kMaxGroupBytes = size_t{1} << 20;
constexpr size_t kSmallWriteBytes = size_t{128} << 10;

// Write rate while L0 is above the slowdown trigger, at the trigger; it falls linearly to a
// tenth of it as L0 approaches the stop trigger.
constexpr double kDelayedWriteBytesPerSecond = 16.0 * 1024 * 1024;

}  // namespace

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  if (batch == nullptr) return Status::InvalidArgument("Write: batch is null");
  if (!batch->status().ok()) return batch->status();
  // An empty batch writes nothing, but with sync it still makes every earlier write durable.
  if (batch->Count() == 0 && !options.sync) return Status::OK();
  return WriteInternal(options, batch);
}

DBImpl::CommitGroup DBImpl::BuildGroup(Writer* leader) {
  CommitGroup group;
  group.batch = leader->batch;
  group.last = leader;
  group.sync = leader->sync;
  if (leader->batch == nullptr) return group;  // a forced switch commits nothing

  size_t size = WriteBatchInternal::ByteSize(leader->batch);
  const size_t max_size = size <= kSmallWriteBytes ? size + kSmallWriteBytes : kMaxGroupBytes;
  auto it = writers_.begin();
  for (++it; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->batch == nullptr) break;  // a forced switch must lead its own group
    size += WriteBatchInternal::ByteSize(w->batch);
    if (size > max_size) break;
    if (group.batch == leader->batch) {
      group_batch_.Clear();
      WriteBatchInternal::Append(&group_batch_, leader->batch);
      group.batch = &group_batch_;
    }
    WriteBatchInternal::Append(&group_batch_, w->batch);
    group.sync = group.sync || w->sync;
    group.last = w;
  }
  return group;
}

Status DBImpl::WriteInternal(const WriteOptions& options, WriteBatch* batch) {
  Writer w(&mutex_);
  w.batch = batch;
  w.sync = options.sync;

  MutexLock lock(&mutex_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.Wait();
  if (w.done) return w.status;

  // This writer leads a group.
  const size_t write_bytes = batch ? WriteBatchInternal::ByteSize(batch) : 0;
  Status s = MakeRoomForWrite(batch == nullptr, write_bytes);
  CommitGroup group = BuildGroup(&w);
  if (s.ok() && group.batch != nullptr) {
    SequenceNumber last_sequence = versions_->LastSequence();
    WriteBatchInternal::SetSequence(group.batch, last_sequence + 1);
    last_sequence += WriteBatchInternal::Count(group.batch);
    MemTable* mem = mem_.get();

    // Only the leader touches the WAL and inserts into the memtable, so both happen without the
    // mutex; readers don't see the new entries until the last sequence is published below.
    mutex_.Unlock();
    // A group of empty sync writes only syncs: it has nothing to log or insert.
    const bool empty = WriteBatchInternal::Count(group.batch) == 0;
    const std::string_view record = WriteBatchInternal::Contents(group.batch);
    if (!empty) {
      s = log_->AddRecord(record);
      if (s.ok()) s = logfile_->Flush();  // in the OS: survives a process crash
    }
    if (s.ok() && group.sync) {
      s = logfile_->Sync();
      stat_wal_syncs_.fetch_add(1, std::memory_order_relaxed);
    }
    if (s.ok() && !empty) {
      WriteBatchInternal::InsertTrusted(group.batch, mem);
      stat_wal_bytes_.fetch_add(record.size(), std::memory_order_relaxed);
      stat_user_bytes_.fetch_add(record.size() - WriteBatchInternal::kHeaderSize,
                                 std::memory_order_relaxed);
      stat_write_groups_.fetch_add(1, std::memory_order_relaxed);
      stat_writes_.fetch_add(WriteBatchInternal::Count(group.batch), std::memory_order_relaxed);
    }
    mutex_.Lock();
    if (s.ok()) {
      versions_->SetLastSequence(last_sequence);
    } else {
      RecordBackgroundError(s);
    }
    if (group.batch == &group_batch_) group_batch_.Clear();
  }

  // Hand the result to every member of the group and wake the next leader.
  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &w) {
      ready->status = s;
      ready->done = true;
      ready->cv.Signal();
    }
    if (ready == group.last) break;
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  return s;
}

void DBImpl::RecordBackgroundError(const Status& s) {
  if (bg_error_.ok() && !s.ok()) {
    bg_error_ = s;
    bg_cv_.SignalAll();
  }
}

int DBImpl::L0FileCount() { return versions_->current()->NumFiles(0); }

Status DBImpl::MakeRoomForWrite(bool force, size_t write_bytes) {
  bool allow_delay = !force;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    const int l0 = L0FileCount();
    if (allow_delay && l0 >= options_.level0_slowdown_writes_trigger &&
        l0 < options_.level0_stop_writes_trigger) {
      // Slow writers down smoothly instead of stopping them when L0 reaches the stop trigger:
      // the nearer to it, the slower.
      const double span =
          std::max(1, options_.level0_stop_writes_trigger - options_.level0_slowdown_writes_trigger);
      const double room = static_cast<double>(options_.level0_stop_writes_trigger - l0) / span;
      const double rate = kDelayedWriteBytesPerSecond * std::max(0.1, room);
      const auto micros = static_cast<int64_t>(
          1e6 * static_cast<double>(std::max<size_t>(write_bytes, 1024)) / rate);
      mutex_.Unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(micros));
      mutex_.Lock();
      stat_delay_micros_.fetch_add(static_cast<uint64_t>(micros), std::memory_order_relaxed);
      allow_delay = false;  // delay each write at most once
      continue;
    }
    if (!force && mem_->BufferedBytes() < options_.write_buffer_size) return Status::OK();
    if (force && mem_->NumEntries() == 0) return Status::OK();  // nothing to switch out
    if (static_cast<int>(imm_.size()) >= options_.max_write_buffer_number - 1 ||
        l0 >= options_.level0_stop_writes_trigger) {
      // Every memtable is full, or L0 is at the stop trigger: wait for background work.
      const auto start = std::chrono::steady_clock::now();
      bg_cv_.Wait();
      stat_stall_micros_.fetch_add(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count()),
          std::memory_order_relaxed);
      continue;
    }
    return SwitchMemTable();
  }
}

Status DBImpl::SwitchMemTable() {
  const uint64_t new_log_number = versions_->NewFileNumber();
  std::unique_ptr<WritableFile> new_file;
  mutex_.Unlock();
  // The old WAL is synced before the new one receives writes: only the newest WAL can then lose
  // a tail in a power loss, and recovery never sees a hole followed by newer writes.
  Status s = logfile_->Sync();
  if (s.ok()) s = logfile_->Close();
  if (s.ok()) s = CreateLogFile(new_log_number, &new_file);
  mutex_.Lock();
  if (!s.ok()) {
    RecordBackgroundError(s);
    return s;
  }
  logfile_ = std::move(new_file);
  log_ = std::make_unique<log::Writer>(logfile_.get(), log::LogKind::kWal, new_log_number);
  imm_.push_back(ImmutableMemTable{mem_, logfile_number_});
  logfile_number_ = new_log_number;
  mem_ = std::make_shared<MemTable>(icmp_);
  bg_cv_.SignalAll();  // wakes the flush thread
  return Status::OK();
}

}  // namespace strata
