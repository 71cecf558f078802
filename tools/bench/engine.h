// The storage engines strata_bench can drive, behind one small interface, so that the benchmark
// code (and therefore the workload) is the same for every engine.
//
// Adapters: strata (STRATA_BENCH_HAVE_STRATA, on unless the build turns it off), LevelDB and
// RocksDB (STRATA_BENCH_HAVE_LEVELDB, STRATA_BENCH_HAVE_ROCKSDB: built when their CMake or
// pkg-config packages are found).
//
// Thread safety: after Open, Put/Delete/Write/Get/NewIterator may be called from many threads
// at once, as all three engines allow. Open, Close, Destroy and CompactAll are called by one
// thread while no other call is running. Every iterator is destroyed before Close.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::bench {

// The outcome of an engine call, independent of the engine's own status type.
class [[nodiscard]] OpStatus {
 public:
  enum class Code { kOk, kNotFound, kError };

  OpStatus() = default;
  static OpStatus Ok() { return OpStatus(); }
  static OpStatus NotFound() { return OpStatus(Code::kNotFound, {}); }
  static OpStatus Error(std::string message) { return OpStatus(Code::kError, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  const std::string& message() const { return message_; }

 private:
  OpStatus(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// The settings strata_bench matches across engines. Everything else stays at each engine's
// default (and is listed by Engine::SettingNotes).
struct EngineOptions {
  size_t write_buffer_size = size_t{64} << 20;
  int bloom_bits_per_key = 10;
  size_t block_cache_size = size_t{8} << 20;
  int max_open_files = 1000;
  size_t block_size = 4096;
  bool verify_checksums = true;  // on reads of blocks from files
  // Read SST files through memory mappings (strata: Options::use_mmap_reads; RocksDB:
  // allow_mmap_reads). Unset: each engine's default (strata maps, RocksDB uses pread).
  // LevelDB always maps its table files on 64-bit systems.
  std::optional<bool> mmap_reads;
  bool create_if_missing = true;
};

// One operation of a write batch.
struct WriteOp {
  std::string_view key;
  std::string_view value;
  bool is_delete = false;
};

// Write counters an engine keeps about itself (strata does; see strata.stats), in MiB.
struct WriteCounters {
  double user_mb = 0;
  double sst_written_mb = 0;
  double wal_mb = 0;
};

class EngineIterator {
 public:
  virtual ~EngineIterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual void Seek(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual OpStatus status() const = 0;
};

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  virtual ~Engine() = default;

  // "strata", "leveldb" or "rocksdb".
  virtual std::string_view Name() const = 0;
  virtual std::string Version() const = 0;
  // Lines for the report header: how this engine is configured beyond EngineOptions.
  virtual std::vector<std::string> SettingNotes() const = 0;
  // The engine's own statistics property ("strata.stats", "leveldb.stats", "rocksdb.stats").
  virtual std::string_view StatsPropertyName() const = 0;

  virtual OpStatus Open(const std::string& path, const EngineOptions& options) = 0;
  // Closes the DB (waiting for background work, as each engine does). A no-op when not open.
  virtual OpStatus Close() = 0;
  // Deletes the DB at path. REQUIRES: not open.
  virtual OpStatus Destroy(const std::string& path) = 0;

  virtual OpStatus Put(std::string_view key, std::string_view value, bool sync) = 0;
  virtual OpStatus Delete(std::string_view key, bool sync) = 0;
  // Applies ops atomically as one batch.
  virtual OpStatus Write(std::span<const WriteOp> ops, bool sync) = 0;
  // NotFound if absent; the value is copied into *value.
  virtual OpStatus Get(std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<EngineIterator> NewIterator() = 0;
  // Compacts the whole key range and waits for it.
  virtual OpStatus CompactAll() = 0;
  // The text of StatsPropertyName(), or an explanation if the engine has none.
  virtual std::string Stats() = 0;
  // Cumulative counters since Open, if the engine reports them.
  virtual std::optional<WriteCounters> InternalWriteCounters() { return std::nullopt; }
};

// The names NewEngine accepts in this build.
std::vector<std::string> AvailableEngines();
// The engine called name, or null with *error saying why (unknown name, or an engine this
// binary was built without).
std::unique_ptr<Engine> NewEngine(std::string_view name, std::string* error);

#ifdef STRATA_BENCH_HAVE_STRATA
std::unique_ptr<Engine> NewStrataEngine();
#endif
#ifdef STRATA_BENCH_HAVE_LEVELDB
std::unique_ptr<Engine> NewLevelDBEngine();
#endif
#ifdef STRATA_BENCH_HAVE_ROCKSDB
std::unique_ptr<Engine> NewRocksDBEngine();
#endif

}  // namespace strata::bench
