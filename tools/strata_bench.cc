// strata_bench: a db_bench-compatible benchmark that runs the same workloads against strata,
// LevelDB or RocksDB, with matched settings, and reports throughput, latency, write
// amplification and space. See docs/benchmarks.md.
//
//   strata_bench --engine=strata --benchmarks=fillrandom,readrandom --num=1000000
#include <gflags/gflags.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "bench/engine.h"
#include "bench/runner.h"
#include "bench/workload.h"

DEFINE_string(engine, "strata", "Engine to benchmark: strata, leveldb or rocksdb");
DEFINE_string(benchmarks, "fillseq,fillrandom,overwrite,readrandom,readseq,readreverse,seekrandom",
              "Comma-separated benchmarks, run in order against the same DB. Known: fillseq, "
              "fillrandom, overwrite, fillsync, deleterandom, readrandom, readmissing, readseq, "
              "readreverse, seekrandom, seekrandomnext, readwhilewriting, compact, stats");
DEFINE_int64(num, 1000000, "Number of key-value pairs (key space of every benchmark)");
DEFINE_int64(reads, -1, "Operations of read benchmarks per thread (-1: --num)");
DEFINE_int32(key_size, 16, "Key size in bytes");
DEFINE_int32(value_size, 100, "Value size in bytes");
DEFINE_int32(threads, 1, "Threads per benchmark (readwhilewriting: reader threads)");
DEFINE_string(db, "", "DB directory (default: /tmp/strata_bench-<engine>)");
DEFINE_bool(use_existing_db, false,
            "Open the existing DB instead of starting empty; fill benchmarks are skipped");
DEFINE_bool(sync, false, "Sync every write (fillsync always syncs)");
DEFINE_int64(fillsync_num, -1, "Writes done by fillsync per thread (-1: --num / 100)");
DEFINE_int32(bloom_bits, 10, "Bloom filter bits per key (0: no filters)");
DEFINE_int64(cache_size, 8 << 20, "Block cache size in bytes");
DEFINE_int64(write_buffer_size, 64 << 20, "Memtable size in bytes");
DEFINE_int32(open_files, 1000, "Maximum number of open SST files");
DEFINE_bool(mmap_read, false,
            "Read SST files through memory mappings (strata, RocksDB; LevelDB always does). "
            "Not given: each engine's default (strata maps, RocksDB does not)");
DEFINE_int32(settle_seconds, 0,
             "> 0: after each write benchmark, wait up to this many seconds for the DB directory "
             "to stop changing (background flushes and compactions done) and report that space "
             "too (every engine alike)");
DEFINE_bool(verify_checksums, true, "Verify checksums of blocks read from files (every engine)");
DEFINE_double(compression_ratio, 0.5,
              "Fraction of each value a compressor would keep (values' compressibility)");
DEFINE_bool(histogram, false, "Print a latency histogram per benchmark");
DEFINE_uint64(seed, 0, "Seed of the random streams (each thread and benchmark gets its own)");
DEFINE_int32(seek_nexts, 0,
             "Next() calls after each seek of seekrandom; seekrandomnext uses 100 if this is 0");
DEFINE_int32(batch_size, 1, "Writes per write batch");
DEFINE_int32(duration, 0, "Seconds each benchmark runs (0: by operation count)");
DEFINE_int64(stats_interval, 0, "Print a progress line (stderr) every this many ops per thread");

namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// Returns an empty string if the flags are usable, else what is wrong with them.
std::string ValidateFlags(const std::vector<std::string>& benchmarks) {
  using strata::bench::DecimalDigits;
  for (const std::string& name : benchmarks) {
    if (!strata::bench::IsKnownBenchmark(name)) {
      std::string known;
      for (const std::string& k : strata::bench::KnownBenchmarks()) known += " " + k;
      return "unknown benchmark '" + name + "'; known:" + known;
    }
  }
  if (FLAGS_num <= 0) return "--num must be positive";
  if (FLAGS_reads < -1 || FLAGS_reads == 0) return "--reads must be positive or -1";
  if (FLAGS_value_size <= 0) return "--value_size must be positive";
  if (FLAGS_key_size <= 0 || FLAGS_key_size > (1 << 20)) return "--key_size must be in [1, 1 MiB]";
  const int digits = DecimalDigits(static_cast<uint64_t>(FLAGS_num - 1));
  if (FLAGS_key_size < digits) {
    return "--key_size=" + std::to_string(FLAGS_key_size) + " cannot hold key numbers up to " +
           std::to_string(FLAGS_num - 1) + " in decimal; use at least " + std::to_string(digits);
  }
  if (FLAGS_threads < 1) return "--threads must be at least 1";
  if (FLAGS_batch_size < 1) return "--batch_size must be at least 1";
  if (FLAGS_duration < 0) return "--duration must not be negative";
  if (FLAGS_fillsync_num < -1 || FLAGS_fillsync_num == 0) {
    return "--fillsync_num must be positive or -1";
  }
  if (FLAGS_bloom_bits < 0) return "--bloom_bits must not be negative";
  if (FLAGS_cache_size < 0 || FLAGS_write_buffer_size <= 0) {
    return "--cache_size must not be negative and --write_buffer_size must be positive";
  }
  if (FLAGS_open_files < 10) return "--open_files must be at least 10";
  if (!(FLAGS_compression_ratio > 0 && FLAGS_compression_ratio <= 1)) {
    return "--compression_ratio must be in (0, 1]";
  }
  if (FLAGS_seek_nexts < 0) return "--seek_nexts must not be negative";
  if (FLAGS_stats_interval < 0) return "--stats_interval must not be negative";
  return {};
}

strata::bench::BenchConfig ConfigFromFlags(std::vector<std::string> benchmarks) {
  strata::bench::BenchConfig c;
  c.benchmarks = std::move(benchmarks);
  c.db_path = FLAGS_db.empty() ? "/tmp/strata_bench-" + FLAGS_engine : FLAGS_db;
  c.use_existing_db = FLAGS_use_existing_db;
  c.num = FLAGS_num;
  c.reads = FLAGS_reads;
  c.key_size = static_cast<size_t>(FLAGS_key_size);
  c.value_size = static_cast<size_t>(FLAGS_value_size);
  c.threads = FLAGS_threads;
  c.batch_size = FLAGS_batch_size;
  c.duration_seconds = FLAGS_duration;
  c.sync = FLAGS_sync;
  c.fillsync_num = FLAGS_fillsync_num;
  c.seek_nexts = FLAGS_seek_nexts;
  c.compression_ratio = FLAGS_compression_ratio;
  c.seed = FLAGS_seed;
  c.histogram = FLAGS_histogram;
  c.settle_seconds = FLAGS_settle_seconds;
  c.stats_interval = FLAGS_stats_interval;
  c.engine.write_buffer_size = static_cast<size_t>(FLAGS_write_buffer_size);
  c.engine.bloom_bits_per_key = FLAGS_bloom_bits;
  c.engine.block_cache_size = static_cast<size_t>(FLAGS_cache_size);
  c.engine.max_open_files = FLAGS_open_files;
  c.engine.verify_checksums = FLAGS_verify_checksums;
  if (!gflags::GetCommandLineFlagInfoOrDie("mmap_read").is_default) {
    c.engine.mmap_reads = FLAGS_mmap_read;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "db_bench-compatible benchmark for strata, LevelDB and RocksDB.\n"
      "  strata_bench --engine=strata|leveldb|rocksdb --benchmarks=fillrandom,readrandom "
      "[--num=N ...]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 1) {
    std::fprintf(stderr, "strata_bench: unexpected argument '%s'\n", argv[1]);
    return 2;
  }
  std::vector<std::string> benchmarks = SplitCommas(FLAGS_benchmarks);
  if (const std::string error = ValidateFlags(benchmarks); !error.empty()) {
    std::fprintf(stderr, "strata_bench: %s\n", error.c_str());
    return 2;
  }
  std::string error;
  std::unique_ptr<strata::bench::Engine> engine = strata::bench::NewEngine(FLAGS_engine, &error);
  if (engine == nullptr) {
    std::fprintf(stderr, "strata_bench: --engine=%s: %s\n", FLAGS_engine.c_str(), error.c_str());
    return 2;
  }
  strata::bench::Runner runner(ConfigFromFlags(std::move(benchmarks)), std::move(engine));
  const int code = runner.Run();
  gflags::ShutDownCommandLineFlags();
  return code;
}
