// The benchmark driver of strata_bench: runs db_bench-style benchmarks against one Engine and
// prints db_bench-format result lines, latency histograms, and write/space costs.
//
// Benchmarks run in the order given, all against the same DB. fillseq, fillrandom and fillsync
// start from an empty DB (they are skipped with use_existing_db); the others use whatever the
// DB holds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/engine.h"

namespace strata::bench {

struct BenchConfig {
  std::vector<std::string> benchmarks;
  std::string db_path;
  bool use_existing_db = false;
  int64_t num = 1000000;
  int64_t reads = -1;  // -1: num
  size_t key_size = 16;
  size_t value_size = 100;
  int threads = 1;
  int batch_size = 1;
  int duration_seconds = 0;  // > 0: each thread runs this long instead of a fixed op count
  bool sync = false;
  int64_t fillsync_num = -1;  // -1: num / 100
  int seek_nexts = 0;
  double compression_ratio = 0.5;
  uint64_t seed = 0;
  bool histogram = false;
  int64_t stats_interval = 0;  // > 0: a progress line every this many ops per thread
  // > 0: after each write benchmark, also wait (up to this long) until the DB directory stops
  // changing, and report the space then: the footprint once flushes and compactions settle.
  int settle_seconds = 0;
  EngineOptions engine;
};

// The benchmark names Runner knows, in a sensible running order.
std::vector<std::string> KnownBenchmarks();
// True if name is one of KnownBenchmarks().
bool IsKnownBenchmark(const std::string& name);

class Runner {
 public:
  Runner(BenchConfig config, std::unique_ptr<Engine> engine);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner();

  // Prints the header, opens the DB and runs every benchmark. Returns the process exit code:
  // 0, or 1 after printing the first error (a failed open, write, read or close).
  int Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::bench
