#include "stress/worker.h"

#include <algorithm>
#include <cstdio>

#include "stress/key_value.h"
#include "stress/read_check.h"
#include "stress/report.h"

namespace strata::stress {

void WorkerStats::Add(const WorkerStats& o) {
  puts += o.puts;
  deletes += o.deletes;
  batches += o.batches;
  batch_writes += o.batch_writes;
  gets += o.gets;
  scans += o.scans;
  scanned_keys += o.scanned_keys;
  snapshots += o.snapshots;
  flushes += o.flushes;
  compactions += o.compactions;
}

std::string WorkerStats::ToString() const {
  char buf[320];
  std::snprintf(
      buf, sizeof(buf),
      "puts=%llu deletes=%llu batches=%llu (%llu keys) gets=%llu scans=%llu "
      "(%llu keys) snapshots=%llu flushes=%llu compactions=%llu",
      static_cast<unsigned long long>(puts), static_cast<unsigned long long>(deletes),
      static_cast<unsigned long long>(batches), static_cast<unsigned long long>(batch_writes),
      static_cast<unsigned long long>(gets), static_cast<unsigned long long>(scans),
      static_cast<unsigned long long>(scanned_keys), static_cast<unsigned long long>(snapshots),
      static_cast<unsigned long long>(flushes), static_cast<unsigned long long>(compactions));
  return buf;
}

Worker::Worker(SharedState* shared, int id)
    : shared_(shared),
      db_(shared->db),
      oracle_(shared->oracle),
      options_(*shared->options),
      rng_(Mix64(shared->options->seed) ^ Mix64(static_cast<uint64_t>(id) + 1)) {}

Worker::~Worker() = default;

void Worker::Run() {
  for (uint64_t done = 0; !shared_->stop.load(std::memory_order_relaxed); done++) {
    if (options_.ops_per_thread != 0 && done >= options_.ops_per_thread) break;
    DoOneOp();
    AfterOp();
  }
  if (held_ != nullptr) VerifyAndReleaseSnapshot();
}

void Worker::DoOneOp() {
  int pick = static_cast<int>(rng_.Uniform(100));
  if ((pick -= options_.put_percent) < 0) return DoWrite(WriteKind::kPut);
  if ((pick -= options_.delete_percent) < 0) return DoWrite(WriteKind::kDelete);
  if ((pick -= options_.batch_percent) < 0) return DoWrite(WriteKind::kBatch);
  if ((pick -= options_.get_percent) < 0) return DoGet();
  if ((pick -= options_.iterate_percent) < 0) return DoIterate();
  // The rest is snapshots. A thread holds one snapshot at a time.
  if (held_ != nullptr) VerifyAndReleaseSnapshot();
  TakeSnapshot();
}

void Worker::AfterOp() {
  if (held_ != nullptr && held_->ops_left-- == 0) VerifyAndReleaseSnapshot();
  const uint64_t op = shared_->ops.fetch_add(1, std::memory_order_relaxed) + 1;
  if (options_.flush_every != 0 && op % options_.flush_every == 0) {
    CheckOk(db_->Flush(), "Flush");
    stats_.flushes++;
  }
  if (options_.compact_every != 0 && op % options_.compact_every == 0) DoCompactRange();
}

// ---- Writes --------------------------------------------------------------------------------

void Worker::DoWrite(WriteKind kind) {
  const std::vector<uint64_t> keys =
      kind == WriteKind::kBatch
          ? RandomDistinctKeys(rng_.Range(2, static_cast<uint64_t>(options_.batch_keys_max)))
          : std::vector<uint64_t>{RandomKey()};
  const LockTable::Guard guard = shared_->locks->LockKeys(keys);
  const uint64_t batch_id = kind == WriteKind::kBatch ? oracle_->NewBatchId() : 0;
  std::vector<KeyState> targets;
  targets.reserve(keys.size());
  for (const uint64_t k : keys) {
    if (oracle_->HasPending(k)) {
      FailVerification("oracle: " + DescribeKey(k) + " has a pending write while its lock is free");
    }
    const uint64_t v = oracle_->NextVersion(k);
    const bool put = kind == WriteKind::kPut || (kind == WriteKind::kBatch && !rng_.OneIn(4));
    targets.push_back(put ? KeyState::Put(v) : KeyState::Deleted(v));
    // Marked pending before the DB sees the write: if the process dies from here on, the
    // recovery check accepts the old or the new state of the key.
    oracle_->BeginWrite(k, targets.back(), batch_id);
  }
  CheckOk(IssueWrite(kind, keys, targets), kind == WriteKind::kBatch ? "Write" : "Put/Delete");
  for (const uint64_t k : keys) oracle_->FinishWrite(k);
  oracle_->AddAcknowledged(keys.size());
  switch (kind) {
    case WriteKind::kPut:
      stats_.puts++;
      break;
    case WriteKind::kDelete:
      stats_.deletes++;
      break;
    case WriteKind::kBatch:
      stats_.batches++;
      stats_.batch_writes += keys.size();
      break;
  }
}

Status Worker::IssueWrite(WriteKind kind, std::span<const uint64_t> keys,
                          std::span<const KeyState> targets) {
  const WriteOptions wo = NextWriteOptions();
  auto value_of = [&](size_t i) {
    return MakeValue(keys[i], targets[i].version(), rng_.Range(0, options_.value_size_max));
  };
  if (kind == WriteKind::kPut) return db_->Put(wo, KeyFor(keys[0]), value_of(0));
  if (kind == WriteKind::kDelete) return db_->Delete(wo, KeyFor(keys[0]));
  WriteBatch batch;
  for (size_t i = 0; i < keys.size(); i++) {
    if (targets[i].exists()) {
      batch.Put(KeyFor(keys[i]), value_of(i));
    } else {
      batch.Delete(KeyFor(keys[i]));
    }
  }
  return db_->Write(wo, &batch);
}

void Worker::DoCompactRange() {
  stats_.compactions++;
  if (rng_.OneIn(4)) {
    CheckOk(db_->CompactRange(nullptr, nullptr), "CompactRange(all)");
    return;
  }
  uint64_t a = rng_.Uniform(options_.keys), b = rng_.Uniform(options_.keys);
  if (a > b) std::swap(a, b);
  const std::string begin = KeyFor(a), end = KeyFor(b);
  const std::string_view begin_view = begin, end_view = end;
  CheckOk(db_->CompactRange(&begin_view, &end_view), "CompactRange(" + begin + ", " + end + ")");
}

// ---- Reads ---------------------------------------------------------------------------------

void Worker::DoGet() {
  stats_.gets++;
  const uint64_t k = RandomKey();
  const ReadOptions ro = NextReadOptions();
  if (rng_.Percent(75)) {
    // With the key's stripe held no write of it is in flight: the read must be exact.
    const LockTable::Guard guard = shared_->locks->LockKey(k);
    if (oracle_->HasPending(k)) {
      FailVerification("oracle: " + DescribeKey(k) + " has a pending write under its lock");
    }
    const KeyState found = ReadKey(db_, ro, k, "Get (locked)");
    CheckRead(k, ReadBounds::Exact(oracle_->Committed(k)), found, "Get (locked)");
    return;
  }
  ReadBounds bounds;
  bounds.lower = oracle_->Committed(k);
  const KeyState found = ReadKey(db_, ro, k, "Get");
  bounds.upper_version = oracle_->High(k);
  CheckRead(k, bounds, found, "Get");
}

void Worker::DoIterate() {
  stats_.scans++;
  uint64_t lo, hi;
  RandomWindow(static_cast<uint64_t>(options_.scan_keys_max), &lo, &hi);
  const Direction dir = rng_.OneIn(2) ? Direction::kForward : Direction::kBackward;
  // Lower bounds are read before the iterator exists: it must see every write acknowledged by
  // then. Upper bounds are read after the walk: it cannot see a write not yet begun.
  std::vector<ReadBounds> bounds(hi - lo);
  for (uint64_t k = lo; k < hi; k++) bounds[k - lo].lower = oracle_->Committed(k);
  std::unique_ptr<Iterator> it = db_->NewIterator(NextReadOptions());
  SeekWindowStart(it.get(), dir, lo, hi, oracle_->num_keys(), rng_.OneIn(2));
  const std::vector<ScanEntry> entries = WalkWindow(it.get(), dir, lo, hi, *oracle_, "iterate");
  for (uint64_t k = lo; k < hi; k++) bounds[k - lo].upper_version = oracle_->High(k);
  CheckWindow(lo, bounds, entries, "iterate");
  if (rng_.OneIn(2)) CheckReverseWalk(it.get(), dir, lo, hi, entries, *oracle_, "iterate");
  if (rng_.OneIn(2)) CheckZigZag(it.get(), entries, &rng_, 16, *oracle_, "iterate");
  stats_.scanned_keys += hi - lo;
}

void Worker::TakeSnapshot() {
  stats_.snapshots++;
  auto held = std::make_unique<HeldSnapshot>();
  uint64_t hi;
  RandomWindow(std::min(options_.scan_keys_max, kMaxLockedKeys), &held->lo, &hi);
  std::vector<uint64_t> keys;
  for (uint64_t k = held->lo; k < hi; k++) keys.push_back(k);
  {
    // With the window's stripes held, committed is exactly what the snapshot captures.
    const LockTable::Guard guard = shared_->locks->LockKeys(keys);
    for (const uint64_t k : keys) {
      if (oracle_->HasPending(k)) {
        FailVerification("oracle: " + DescribeKey(k) + " has a pending write under its lock");
      }
      held->states.push_back(oracle_->Committed(k));
    }
    held->snapshot = SnapshotHandle(db_->GetSnapshot(), SnapshotReleaser{db_});
  }
  held->ops_left = rng_.Uniform(static_cast<uint64_t>(options_.snapshot_ops_max) + 1);
  held_ = std::move(held);
}

// Reads the snapshot's window by point reads and by an iterator; both must show exactly the
// state captured when the snapshot was taken, whatever was written, flushed or compacted since.
void Worker::VerifyAndReleaseSnapshot() {
  std::unique_ptr<HeldSnapshot> held = std::move(held_);
  ReadOptions ro = NextReadOptions();
  ro.snapshot = held->snapshot.get();
  const uint64_t lo = held->lo;
  const uint64_t hi = lo + held->states.size();
  std::vector<ReadBounds> bounds;
  for (const KeyState s : held->states) bounds.push_back(ReadBounds::Exact(s));
  for (uint64_t k = lo; k < hi; k++) {
    if (rng_.OneIn(2)) {
      CheckRead(k, bounds[k - lo], ReadKey(db_, ro, k, "snapshot Get"), "snapshot Get");
    }
  }
  const Direction dir = rng_.OneIn(2) ? Direction::kForward : Direction::kBackward;
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  SeekWindowStart(it.get(), dir, lo, hi, oracle_->num_keys(), rng_.OneIn(2));
  const std::vector<ScanEntry> entries =
      WalkWindow(it.get(), dir, lo, hi, *oracle_, "snapshot iterate");
  CheckWindow(lo, bounds, entries, "snapshot iterate");
  CheckReverseWalk(it.get(), dir, lo, hi, entries, *oracle_, "snapshot iterate");
  CheckZigZag(it.get(), entries, &rng_, 16, *oracle_, "snapshot iterate");
  it.reset();  // iterators go before the snapshot they read
}

// ---- Randomness ----------------------------------------------------------------------------

uint64_t Worker::RandomKey() {
  // A few hot keys collect long version histories and contend for their locks.
  if (rng_.OneIn(10)) return rng_.Uniform(std::min<uint64_t>(options_.keys, 16));
  return rng_.Uniform(options_.keys);
}

std::vector<uint64_t> Worker::RandomDistinctKeys(size_t count) {
  count = std::min<uint64_t>(count, options_.keys);
  std::vector<uint64_t> keys;
  while (keys.size() < count) {
    const uint64_t k = RandomKey();
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

void Worker::RandomWindow(uint64_t max_width, uint64_t* lo, uint64_t* hi) {
  const uint64_t n = oracle_->num_keys();
  const uint64_t width = rng_.Range(1, std::min(n, max_width));
  *lo = rng_.Uniform(n - width + 1);
  // Now and then a window at an edge of the key space, to exercise SeekToFirst / SeekToLast.
  if (rng_.OneIn(8)) *lo = rng_.OneIn(2) ? 0 : n - width;
  *hi = *lo + width;
}

WriteOptions Worker::NextWriteOptions() {
  WriteOptions wo;
  switch (options_.sync) {
    case SyncMode::kOff:
      wo.sync = false;
      break;
    case SyncMode::kOn:
      wo.sync = true;
      break;
    case SyncMode::kMixed:
      wo.sync = rng_.Percent(30);
      break;
  }
  return wo;
}

ReadOptions Worker::NextReadOptions() {
  ReadOptions ro;
  ro.fill_cache = !rng_.OneIn(8);
  ro.verify_checksums = !rng_.OneIn(4);
  return ro;
}

}  // namespace strata::stress
