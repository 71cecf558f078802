// RocksDB adapter for strata_bench.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include "bench/engine.h"

namespace strata::bench {

namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

OpStatus Convert(const rocksdb::Status& s) {
  if (s.ok()) return OpStatus::Ok();
  if (s.IsNotFound()) return OpStatus::NotFound();
  return OpStatus::Error(s.ToString());
}

class RocksDBIterator final : public EngineIterator {
 public:
  explicit RocksDBIterator(std::unique_ptr<rocksdb::Iterator> it) : it_(std::move(it)) {}

  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  OpStatus status() const override { return Convert(it_->status()); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksDBEngine final : public Engine {
 public:
  // The benchmark closes explicitly and checks the result; this only covers early exits.
  ~RocksDBEngine() override { static_cast<void>(Close()); }

  std::string_view Name() const override { return "rocksdb"; }
  std::string Version() const override { return rocksdb::GetRocksVersionAsString(true); }
  std::vector<std::string> SettingNotes() const override {
    return {
        "RocksDB defaults otherwise: leveled compaction, max_background_jobs 2, "
        "max_write_buffer_number 2, target_file_size_base 64 MiB, "
        "max_bytes_for_level_base 256 MiB (x10 per level), L0 triggers 4/20/36, "
        "full-key bloom filter (format_version 5), index and filter blocks outside the "
        "block cache, no statistics"};
  }
  std::string_view StatsPropertyName() const override { return "rocksdb.stats"; }

  OpStatus Open(const std::string& path, const EngineOptions& options) override {
    rocksdb::BlockBasedTableOptions table;
    table.block_size = options.block_size;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_size);
    if (options.bloom_bits_per_key > 0) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key, false));
    }
    rocksdb::Options o;
    o.create_if_missing = options.create_if_missing;
    o.write_buffer_size = options.write_buffer_size;
    o.max_open_files = options.max_open_files;
    if (options.mmap_reads.has_value()) o.allow_mmap_reads = *options.mmap_reads;
    o.compression = rocksdb::kNoCompression;
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    read_options_.verify_checksums = options.verify_checksums;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(o, path, &db);
    db_.reset(db);
    return Convert(s);
  }

  OpStatus Close() override {
    if (db_ == nullptr) return OpStatus::Ok();
    const rocksdb::Status s = db_->Close();
    db_.reset();
    // NotSupported means the destructor does the cleanup, which is what reset() just did.
    return s.IsNotSupported() ? OpStatus::Ok() : Convert(s);
  }

  OpStatus Destroy(const std::string& path) override {
    return Convert(rocksdb::DestroyDB(path, rocksdb::Options()));
  }

  OpStatus Put(std::string_view key, std::string_view value, bool sync) override {
    return Convert(db_->Put(WriteOpts(sync), ToSlice(key), ToSlice(value)));
  }
  OpStatus Delete(std::string_view key, bool sync) override {
    return Convert(db_->Delete(WriteOpts(sync), ToSlice(key)));
  }
  OpStatus Write(std::span<const WriteOp> ops, bool sync) override {
    rocksdb::WriteBatch batch;
    for (const WriteOp& op : ops) {
      const rocksdb::Status s = op.is_delete ? batch.Delete(ToSlice(op.key))
                                             : batch.Put(ToSlice(op.key), ToSlice(op.value));
      if (!s.ok()) return Convert(s);
    }
    return Convert(db_->Write(WriteOpts(sync), &batch));
  }
  OpStatus Get(std::string_view key, std::string* value) override {
    return Convert(db_->Get(read_options_, ToSlice(key), value));
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<RocksDBIterator>(
        std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(read_options_)));
  }
  OpStatus CompactAll() override {
    return Convert(db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr));
  }
  std::string Stats() override {
    std::string value;
    if (!db_->GetProperty("rocksdb.stats", &value)) return "(rocksdb.stats not available)\n";
    return value;
  }

 private:
  static rocksdb::WriteOptions WriteOpts(bool sync) {
    rocksdb::WriteOptions w;
    w.sync = sync;
    return w;
  }

  rocksdb::ReadOptions read_options_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<Engine> NewRocksDBEngine() { return std::make_unique<RocksDBEngine>(); }

}  // namespace strata::bench
