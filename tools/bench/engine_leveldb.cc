// LevelDB adapter for strata_bench.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include "bench/engine.h"

namespace strata::bench {

namespace {

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }
std::string_view ToView(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

OpStatus Convert(const leveldb::Status& s) {
  if (s.ok()) return OpStatus::Ok();
  if (s.IsNotFound()) return OpStatus::NotFound();
  return OpStatus::Error(s.ToString());
}

class LevelDBIterator final : public EngineIterator {
 public:
  explicit LevelDBIterator(std::unique_ptr<leveldb::Iterator> it) : it_(std::move(it)) {}

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
  std::unique_ptr<leveldb::Iterator> it_;
};

class LevelDBEngine final : public Engine {
 public:
  // The benchmark closes explicitly and checks the result; this only covers early exits.
  ~LevelDBEngine() override { static_cast<void>(Close()); }

  std::string_view Name() const override { return "leveldb"; }
  std::string Version() const override {
    return std::to_string(leveldb::kMajorVersion) + "." + std::to_string(leveldb::kMinorVersion);
  }
  std::vector<std::string> SettingNotes() const override {
    return {
        "LevelDB defaults otherwise: max_file_size 2 MiB, L1 target 10 MiB (x10 per level), "
        "L0 compaction/slowdown/stop triggers 4/8/12, one background thread, "
        "paranoid_checks=false"};
  }
  std::string_view StatsPropertyName() const override { return "leveldb.stats"; }

  OpStatus Open(const std::string& path, const EngineOptions& options) override {
    cache_.reset(leveldb::NewLRUCache(options.block_cache_size));
    filter_.reset(options.bloom_bits_per_key > 0
                      ? leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key)
                      : nullptr);
    leveldb::Options o;
    o.create_if_missing = options.create_if_missing;
    o.write_buffer_size = options.write_buffer_size;
    o.max_open_files = options.max_open_files;
    o.block_size = options.block_size;
    o.block_cache = cache_.get();
    o.filter_policy = filter_.get();
    o.compression = leveldb::kNoCompression;
    read_options_.verify_checksums = options.verify_checksums;
    leveldb::DB* db = nullptr;
    const leveldb::Status s = leveldb::DB::Open(o, path, &db);
    db_.reset(db);
    return Convert(s);
  }

  OpStatus Close() override {
    db_.reset();  // LevelDB's destructor waits for its background compaction
    return OpStatus::Ok();
  }

  OpStatus Destroy(const std::string& path) override {
    return Convert(leveldb::DestroyDB(path, leveldb::Options()));
  }

  OpStatus Put(std::string_view key, std::string_view value, bool sync) override {
    return Convert(db_->Put(WriteOpts(sync), ToSlice(key), ToSlice(value)));
  }
  OpStatus Delete(std::string_view key, bool sync) override {
    return Convert(db_->Delete(WriteOpts(sync), ToSlice(key)));
  }
  OpStatus Write(std::span<const WriteOp> ops, bool sync) override {
    leveldb::WriteBatch batch;
    for (const WriteOp& op : ops) {
      if (op.is_delete) {
        batch.Delete(ToSlice(op.key));
      } else {
        batch.Put(ToSlice(op.key), ToSlice(op.value));
      }
    }
    return Convert(db_->Write(WriteOpts(sync), &batch));
  }
  OpStatus Get(std::string_view key, std::string* value) override {
    return Convert(db_->Get(read_options_, ToSlice(key), value));
  }
  std::unique_ptr<EngineIterator> NewIterator() override {
    return std::make_unique<LevelDBIterator>(
        std::unique_ptr<leveldb::Iterator>(db_->NewIterator(read_options_)));
  }
  OpStatus CompactAll() override {
    db_->CompactRange(nullptr, nullptr);  // LevelDB reports no status here
    return OpStatus::Ok();
  }
  std::string Stats() override {
    std::string value;
    if (!db_->GetProperty("leveldb.stats", &value)) return "(leveldb.stats not available)\n";
    return value;
  }

 private:
  static leveldb::WriteOptions WriteOpts(bool sync) {
    leveldb::WriteOptions w;
    w.sync = sync;
    return w;
  }

  // Declared before db_ so that they outlive it.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  leveldb::ReadOptions read_options_;
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace

std::unique_ptr<Engine> NewLevelDBEngine() { return std::make_unique<LevelDBEngine>(); }

}  // namespace strata::bench
