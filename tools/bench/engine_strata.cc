// strata adapter for strata_bench: uses only the public API (strata/db.h).
#include <cstdio>
#include <sstream>

#include "bench/engine.h"
#include "strata/db.h"

#ifndef STRATA_BENCH_STRATA_VERSION
#define STRATA_BENCH_STRATA_VERSION "unknown"
#endif

namespace strata::bench {

namespace {

OpStatus Convert(const Status& s) {
  if (s.ok()) return OpStatus::Ok();
  if (s.IsNotFound()) return OpStatus::NotFound();
  return OpStatus::Error(s.ToString());
}

class StrataIterator final : public EngineIterator {
 public:
  explicit StrataIterator(std::unique_ptr<Iterator> it) : it_(std::move(it)) {}

  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(target); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  OpStatus status() const override { return Convert(it_->status()); }

 private:
  std::unique_ptr<Iterator> it_;
};

// Reads the cumulative counters out of the "strata.stats" text: the "Sum" row of the level table
// (its fourth number is MB written to SSTs by flushes and compactions) and the "User writes" line.
std::optional<WriteCounters> ParseStats(const std::string& stats) {
  WriteCounters counters;
  bool have_sum = false;
  bool have_user = false;
  std::istringstream lines(stats);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("Sum ", 0) == 0) {
      unsigned long long files = 0;
      double size = 0, read = 0;
      have_sum = std::sscanf(line.c_str(), "Sum %llu %lf %lf %lf", &files, &size, &read,
                             &counters.sst_written_mb) == 4;
    } else if (line.rfind("User writes:", 0) == 0) {
      have_user = std::sscanf(line.c_str(), "User writes: %*u ops in %*u groups, %lf MB; WAL: %lf",
                              &counters.user_mb, &counters.wal_mb) == 2;
    }
  }
  if (!have_sum || !have_user) return std::nullopt;
  return counters;
}

class StrataEngine final : public Engine {
 public:
  // The benchmark closes explicitly and checks the result; this only covers early exits.
  ~StrataEngine() override { static_cast<void>(Close()); }

  std::string_view Name() const override { return "strata"; }
  std::string Version() const override { return STRATA_BENCH_STRATA_VERSION; }
  std::vector<std::string> SettingNotes() const override {
    const Options d;
    char line[400];
    std::snprintf(line, sizeof(line),
                  "strata defaults otherwise: target_file_size_base %llu MiB, "
                  "max_bytes_for_level_base %llu MiB (x%.0f per level), L0 triggers %d/%d/%d, "
                  "max_write_buffer_number %d, paranoid_checks=%s (new SSTs are read back)",
                  static_cast<unsigned long long>(d.target_file_size_base >> 20),
                  static_cast<unsigned long long>(d.max_bytes_for_level_base >> 20),
                  d.max_bytes_for_level_multiplier, d.level0_file_num_compaction_trigger,
                  d.level0_slowdown_writes_trigger, d.level0_stop_writes_trigger,
                  d.max_write_buffer_number, d.paranoid_checks ? "true" : "false");
    return {line};
  }
  std::string_view StatsPropertyName() const override { return "strata.stats"; }

  OpStatus Open(const std::string& path, const EngineOptions& options) override {
    Options o;
    o.create_if_missing = options.create_if_missing;
    o.write_buffer_size = options.write_buffer_size;
    o.bloom_bits_per_key = options.bloom_bits_per_key;
    o.block_cache_size = options.block_cache_size;
    o.max_open_files = options.max_open_files;
    if (options.mmap_reads.has_value()) o.use_mmap_reads = *options.mmap_reads;
    o.block_size = options.block_size;
    o.compression = CompressionType::kNone;
    read_options_.verify_checksums = options.verify_checksums;
    return Convert(DB::Open(o, path, &db_));
  }

  OpStatus Close() override {
    db_.reset();  // the destructor waits for background flushes and compactions
    return OpStatus::Ok();
  }

  OpStatus Destroy(const std::string& path) override { return Convert(DestroyDB(path, Options())); }

  OpStatus Put(std::string_view key, std::string_view value, bool sync) override {
    return Convert(db_->Put(WriteOpts(sync), key, value));
  }
  OpStatus Delete(std::string_view key, bool sync) override {
    return Convert(db_->Delete(WriteOpts(sync), key));
  }
  OpStatus Write(std::span<const WriteOp> ops, bool sync) override {
    WriteBatch batch;
    for (const WriteOp& op : ops) {
      if (op.is_delete) {
        batch.Delete(op.key);
      } else {
        batch.Put(op.key, op.value);
      }
    }
    return Convert(db_->Write(WriteOpts(sync), &batch));
  }
  OpStatus Get(std::string_view key, std::string* value) override {
    return Convert(db_->Get(read_options_, key, value));
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<StrataIterator>(db_->NewIterator(read_options_));
  }
  OpStatus CompactAll() override { return Convert(db_->CompactRange(nullptr, nullptr)); }
  std::string Stats() override {
    std::string value;
    if (!db_->GetProperty("strata.stats", &value)) return "(strata.stats not available)\n";
    return value;
  }
  std::optional<WriteCounters> InternalWriteCounters() override {
    std::string value;
    if (db_ == nullptr || !db_->GetProperty("strata.stats", &value)) return std::nullopt;
    return ParseStats(value);
  }

 private:
  static WriteOptions WriteOpts(bool sync) {
    WriteOptions w;
    w.sync = sync;
    return w;
  }

  ReadOptions read_options_;
  std::unique_ptr<DB> db_;
};

}  // namespace

std::unique_ptr<Engine> NewStrataEngine() { return std::make_unique<StrataEngine>(); }

}  // namespace strata::bench
