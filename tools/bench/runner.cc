#include "bench/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>

#include "bench/histogram.h"
#include "bench/io_stats.h"
#include "bench/workload.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double MiB(double bytes) { return bytes / 1048576.0; }

enum class Workload {
  kFillSeq,
  kFillRandom,
  kOverwrite,
  kFillSync,
  kDeleteRandom,
  kReadRandom,
  kReadMissing,
  kReadSeq,
  kReadReverse,
  kSeekRandom,
  kSeekRandomNext,
  kReadWhileWriting,
  kCompact,
  kStats,
};

// What to report about storage after a benchmark.
enum class Cost {
  kNone,
  kWrites,  // write amplification against the logical bytes written, and DB size
  kIoOnly,  // bytes written and DB size (nothing logical was written: compaction)
};

struct BenchmarkSpec {
  const char* name;
  Workload workload;
  bool fresh_db;
  Cost cost;
};

constexpr BenchmarkSpec kBenchmarks[] = {
    {"fillseq", Workload::kFillSeq, true, Cost::kWrites},
    {"fillrandom", Workload::kFillRandom, true, Cost::kWrites},
    {"overwrite", Workload::kOverwrite, false, Cost::kWrites},
    {"fillsync", Workload::kFillSync, true, Cost::kWrites},
    {"deleterandom", Workload::kDeleteRandom, false, Cost::kWrites},
    {"readrandom", Workload::kReadRandom, false, Cost::kNone},
    {"readmissing", Workload::kReadMissing, false, Cost::kNone},
    {"readseq", Workload::kReadSeq, false, Cost::kNone},
    {"readreverse", Workload::kReadReverse, false, Cost::kNone},
    {"seekrandom", Workload::kSeekRandom, false, Cost::kNone},
    {"seekrandomnext", Workload::kSeekRandomNext, false, Cost::kNone},
    {"readwhilewriting", Workload::kReadWhileWriting, false, Cost::kWrites},
    {"compact", Workload::kCompact, false, Cost::kIoOnly},
    {"stats", Workload::kStats, false, Cost::kNone},
};

const BenchmarkSpec* FindBenchmark(const std::string& name) {
  for (const BenchmarkSpec& spec : kBenchmarks) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// State shared by the threads of one benchmark.
struct SharedState {
  std::atomic<bool> failed{false};
  // readwhilewriting: reader threads still running; the writer stops when it reaches zero.
  std::atomic<int> readers_left{0};
  std::mutex mu;
  std::string error;  // the first failure, guarded by mu

  void Fail(std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    if (!failed.exchange(true)) error = std::move(what);
  }
};

// Decides when a thread's loop ends: after max_ops operations, or when the duration is over, or
// as soon as any thread of the benchmark failed.
class OpLimit {
 public:
  OpLimit(int64_t max_ops, int seconds, const SharedState& shared)
      : max_ops_(max_ops),
        timed_(seconds > 0),
        deadline_(Clock::now() + std::chrono::seconds(seconds)),
        shared_(shared) {}

  bool Done(int64_t done) {
    if (shared_.failed.load(std::memory_order_relaxed)) return true;
    if (!timed_) return done >= max_ops_;
    // Reading the clock on every op would show up in the fastest benchmarks.
    return (++calls_ % 16) == 0 && Clock::now() >= deadline_;
  }
  // Size of the next batch, so that a counted run does exactly max_ops operations.
  int64_t NextBatch(int64_t done, int64_t batch) const {
    return timed_ ? batch : std::min(batch, max_ops_ - done);
  }
  bool timed() const { return timed_; }

 private:
  const int64_t max_ops_;
  const bool timed_;
  const TimePoint deadline_;
  const SharedState& shared_;
  uint64_t calls_ = 0;
};

// What one thread did. Merged into Totals after the threads end.
struct ThreadStats {
  ThreadStats(bool record_latency, int64_t report_every, const char* name, int thread_id)
      : record_latency(record_latency),
        report_every(report_every),
        next_report(report_every),
        name(name),
        thread_id(thread_id) {}

  void Start() { start = last_report = Clock::now(); }
  void Stop() { finish = Clock::now(); }
  TimePoint OpStart() const { return record_latency ? Clock::now() : TimePoint(); }
  void FinishedOps(int64_t n, TimePoint op_start) {
    if (record_latency) {
      const auto nanos =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - op_start);
      hist.Add(static_cast<uint64_t>(nanos.count()));
    }
    ops += n;
    if (report_every > 0 && ops >= next_report) ReportProgress();
  }

  void ReportProgress() {
    const TimePoint now = Clock::now();
    const double recent = static_cast<double>(ops - last_report_ops) / Seconds(now - last_report);
    const double overall = static_cast<double>(ops) / Seconds(now - start);
    std::fprintf(stderr, "... %s thread %d: %" PRId64 " ops, %.0f ops/sec recent, %.0f overall\n",
                 name, thread_id, ops, recent, overall);
    last_report = now;
    last_report_ops = ops;
    next_report = ops + report_every;
  }

  const bool record_latency;
  const int64_t report_every;
  int64_t next_report;
  const char* const name;
  const int thread_id;
  int64_t ops = 0;
  int64_t bytes = 0;
  int64_t found = 0;
  int64_t last_report_ops = 0;
  TimePoint start, finish, last_report;
  Histogram hist;
};

struct ThreadContext {
  ThreadContext(const BenchConfig& config, const char* name, int benchmark_index, int id,
                bool is_writer)
      : id(id),
        is_writer(is_writer),
        rng(StreamSeed(config.seed, name, benchmark_index, id)),
        values(config.compression_ratio, config.value_size,
               StreamSeed(config.seed, name, benchmark_index, id) ^ 0x5851F42D4C957F2Dull),
        key(config.key_size),
        stats(config.histogram, config.stats_interval, name, id) {}

  const int id;
  const bool is_writer;  // readwhilewriting's writer
  Rng rng;
  ValueGenerator values;
  KeyBuffer key;
  ThreadStats stats;
};

struct Totals {
  int64_t ops = 0;
  int64_t bytes = 0;
  int64_t found = 0;
  double busy_seconds = 0;
  double elapsed_seconds = 0;
  Histogram hist;
};

Totals Merge(const std::vector<const ThreadStats*>& threads) {
  Totals t;
  if (threads.empty()) return t;
  TimePoint first_start = threads[0]->start;
  TimePoint last_finish = threads[0]->finish;
  for (const ThreadStats* s : threads) {
    t.ops += s->ops;
    t.bytes += s->bytes;
    t.found += s->found;
    t.busy_seconds += Seconds(s->finish - s->start);
    t.hist.Merge(s->hist);
    first_start = std::min(first_start, s->start);
    last_finish = std::max(last_finish, s->finish);
  }
  t.elapsed_seconds = Seconds(last_finish - first_start);
  return t;
}

// db_bench's result line: micros/op is the average time of one op in one thread, ops/sec the
// aggregate throughput of all threads.
void PrintResultLine(const char* name, const Totals& t, bool show_mb, bool show_found) {
  const double ops = static_cast<double>(t.ops);
  const double micros_per_op = t.ops == 0 ? 0.0 : t.busy_seconds * 1e6 / ops;
  const double elapsed = std::max(t.elapsed_seconds, 1e-9);
  std::string extra;
  char buf[100];
  if (show_mb) {
    std::snprintf(buf, sizeof(buf), " %6.1f MB/s", MiB(static_cast<double>(t.bytes)) / elapsed);
    extra += buf;
  }
  if (show_found) {
    std::snprintf(buf, sizeof(buf), " (%" PRId64 " of %" PRId64 " found)", t.found, t.ops);
    extra += buf;
  }
  std::printf("%-12s : %11.3f micros/op %" PRId64 " ops/sec;%s\n", name, micros_per_op,
              static_cast<int64_t>(ops / elapsed), extra.c_str());
}

// Storage counters taken before and after a benchmark.
struct CostSnapshot {
  ProcessIo io;
  std::optional<WriteCounters> engine;
};

std::string FirstLineStartingWith(const std::string& text, std::string_view prefix) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    if (line.substr(0, prefix.size()) == prefix) return std::string(line);
    pos = end + 1;
  }
  return {};
}

// printf into a std::string, for the labelled cost lines.
__attribute__((format(printf, 1, 2))) std::string Format(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  return buf;
}

// "  <label padded to one column>: <text>": the write-cost lines after a benchmark.
void PrintCostLine(const std::string& label, const std::string& text) {
  std::printf("  %-26s: %s\n", label.c_str(), text.c_str());
}

// Bytes the process wrote between two readings of /proc/self/io, and the counter that said so:
// write_bytes, or wchar where the file system accounts nothing in write_bytes (tmpfs, some
// container file systems).
struct Written {
  double bytes;
  const char* source;
};

Written WrittenBetween(const ProcessIo& before, const ProcessIo& after) {
  const auto bytes = static_cast<double>(after.write_bytes - before.write_bytes);
  if (bytes != 0) return {bytes, "write_bytes"};
  return {static_cast<double>(after.wchar - before.wchar), "wchar"};
}

// "2.09 = 231.7 MB written [write_bytes] / 110.6 MB logical"
std::string WriteAmpText(const Written& written, int64_t logical_bytes) {
  const auto logical = static_cast<double>(logical_bytes);
  return Format("%.2f = %.1f MB written [%s] / %.1f MB logical", written.bytes / logical,
                MiB(written.bytes), written.source, MiB(logical));
}

std::string ReadCpuDescription() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model, cache;
  int count = 0;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || colon + 2 > line.size()) continue;
    const std::string value = line.substr(colon + 2);
    if (line.rfind("model name", 0) == 0) {
      count++;
      model = value;
    } else if (line.rfind("cache size", 0) == 0) {
      cache = value;
    }
  }
  if (count == 0) return "unknown";
  return std::to_string(count) + " * " + model + (cache.empty() ? "" : " (cache " + cache + ")");
}

}  // namespace

std::vector<std::string> KnownBenchmarks() {
  std::vector<std::string> names;
  for (const BenchmarkSpec& spec : kBenchmarks) names.emplace_back(spec.name);
  return names;
}

bool IsKnownBenchmark(const std::string& name) { return FindBenchmark(name) != nullptr; }

struct Runner::Impl {
  Impl(BenchConfig c, std::unique_ptr<Engine> e) : config(std::move(c)), engine(std::move(e)) {}

  int Run();
  void PrintHeader() const;
  bool Check(const char* what, const OpStatus& s) const;
  bool OpenFresh();
  bool RunBenchmark(const BenchmarkSpec& spec, int index);
  bool RunCompact(const BenchmarkSpec& spec);
  bool RunThreads(const BenchmarkSpec& spec, int index, Totals* readers, Totals* writer);
  void RunWorkload(const BenchmarkSpec& spec, ThreadContext& t, SharedState& shared);
  int64_t OpsPerThread(Workload w) const;
  CostSnapshot TakeCostSnapshot() const;
  void ReportCost(Cost cost, const CostSnapshot& before, int64_t logical_bytes) const;
  void ReportWriter(const char* name, const Totals& writer) const;
  void ReportEngineCounters(const CostSnapshot& before, const CostSnapshot& after) const;
  void ReportSettled(const CostSnapshot& before, DirectoryUsage last,
                     int64_t logical_bytes) const;

  enum class KeyOrder { kSequential, kRandom };
  void DoWrite(ThreadContext& t, SharedState& shared, OpLimit& limit, KeyOrder order, bool sync,
               bool is_delete);
  void DoWriteWhileReading(ThreadContext& t, SharedState& shared);
  void DoRead(ThreadContext& t, SharedState& shared, OpLimit& limit, bool missing);
  void DoScan(ThreadContext& t, SharedState& shared, OpLimit& limit, bool reverse);
  void DoSeek(ThreadContext& t, SharedState& shared, OpLimit& limit, int nexts);

  int64_t reads() const { return config.reads < 0 ? config.num : config.reads; }
  uint64_t key_space() const { return static_cast<uint64_t>(config.num); }

  const BenchConfig config;
  const std::unique_ptr<Engine> engine;
};

Runner::Runner(BenchConfig config, std::unique_ptr<Engine> engine)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(engine))) {}

Runner::~Runner() = default;

int Runner::Run() { return impl_->Run(); }

int Runner::Impl::Run() {
  PrintHeader();
  EngineOptions options = config.engine;
  if (config.use_existing_db) {
    options.create_if_missing = false;
    if (!Check("open", engine->Open(config.db_path, options))) return 1;
  } else if (!OpenFresh()) {
    return 1;
  }
  for (size_t i = 0; i < config.benchmarks.size(); i++) {
    const BenchmarkSpec* spec = FindBenchmark(config.benchmarks[i]);
    const bool ok = spec != nullptr && RunBenchmark(*spec, static_cast<int>(i));
    std::fflush(stdout);
    if (!ok) {
      static_cast<void>(Check("close after failure", engine->Close()));
      return 1;
    }
  }
  return Check("close", engine->Close()) ? 0 : 1;
}

bool Runner::Impl::Check(const char* what, const OpStatus& s) const {
  if (s.ok()) return true;
  std::fflush(stdout);
  std::fprintf(stderr, "strata_bench: %s %s failed: %s\n", std::string(engine->Name()).c_str(),
               what, s.IsNotFound() ? "NotFound" : s.message().c_str());
  return false;
}

bool Runner::Impl::OpenFresh() {
  if (!Check("close", engine->Close())) return false;
  if (!Check("destroy", engine->Destroy(config.db_path))) return false;
  std::error_code ec;
  if (std::filesystem::exists(config.db_path, ec) &&
      !std::filesystem::is_empty(config.db_path, ec)) {
    std::fprintf(stderr,
                 "strata_bench: %s is not empty after destroying the %s DB in it; remove it or "
                 "choose another --db\n",
                 config.db_path.c_str(), std::string(engine->Name()).c_str());
    return false;
  }
  EngineOptions options = config.engine;
  options.create_if_missing = true;
  return Check("open", engine->Open(config.db_path, options));
}

void Runner::Impl::PrintHeader() const {
  const auto entry_size = static_cast<double>(config.key_size + config.value_size);
  const double raw = entry_size * static_cast<double>(config.num);
  const EngineOptions& e = config.engine;
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  std::printf("Engine:             %s %s\n", std::string(engine->Name()).c_str(),
              engine->Version().c_str());
  std::printf("Date:               %s\n", date);
  std::printf("CPU:                %s\n", ReadCpuDescription().c_str());
  std::printf("Keys:               %zu bytes each (decimal key number, zero-padded)\n",
              config.key_size);
  std::printf("Values:             %zu bytes each (%.0f bytes if compressed, ratio %.2f)\n",
              config.value_size, static_cast<double>(config.value_size) * config.compression_ratio,
              config.compression_ratio);
  std::printf("Entries:            %" PRId64 "\n", config.num);
  std::printf("Reads:              %" PRId64 "\n", reads());
  std::printf("RawSize:            %.1f MB (estimated)\n", MiB(raw));
  std::printf("Write buffer:       %.1f MB (memtable)\n",
              MiB(static_cast<double>(e.write_buffer_size)));
  std::printf("Bloom bits/key:     %d\n", e.bloom_bits_per_key);
  std::printf("Block cache:        %.1f MB (LRU)\n", MiB(static_cast<double>(e.block_cache_size)));
  std::printf("Block size:         %zu bytes\n", e.block_size);
  std::printf("Max open files:     %d\n", e.max_open_files);
  std::printf("Compression:        none\n");
  std::printf("Verify checksums:   %s (blocks read from files)\n",
              e.verify_checksums ? "yes" : "no");
  if (e.mmap_reads.has_value()) {
    std::printf("Mmap reads:         %s\n", *e.mmap_reads ? "yes" : "no (LevelDB maps anyway)");
  } else {
    std::printf("Mmap reads:         engine default (strata: yes, RocksDB: no, LevelDB: yes)\n");
  }
  std::printf("Sync:               %s\n", config.sync ? "yes" : "no");
  std::printf("Threads:            %d\n", config.threads);
  std::printf("Batch size:         %d\n", config.batch_size);
  if (config.duration_seconds > 0) {
    std::printf("Duration:           %d s per benchmark\n", config.duration_seconds);
  }
  std::printf("Seed:               %" PRIu64 "\n", config.seed);
  std::printf("DB:                 %s (%s)\n", config.db_path.c_str(),
              config.use_existing_db ? "existing" : "fresh");
  for (const std::string& note : engine->SettingNotes()) {
    std::printf("Engine settings:    %s\n", note.c_str());
  }
#ifndef NDEBUG
  std::printf("WARNING:            assertions are enabled; benchmarks are unnecessarily slow\n");
#endif
  std::printf("------------------------------------------------\n");
  std::fflush(stdout);
}

int64_t Runner::Impl::OpsPerThread(Workload w) const {
  switch (w) {
    case Workload::kFillSeq:
    case Workload::kFillRandom:
    case Workload::kOverwrite:
    case Workload::kDeleteRandom:
      return config.num;
    case Workload::kFillSync:
      return config.fillsync_num >= 0 ? config.fillsync_num
                                      : std::max<int64_t>(1, config.num / 100);
    default:
      return reads();
  }
}

bool Runner::Impl::RunBenchmark(const BenchmarkSpec& spec, int index) {
  if (spec.fresh_db) {
    if (config.use_existing_db) {
      std::printf("%-12s : skipped (--use_existing_db is true)\n", spec.name);
      return true;
    }
    if (!OpenFresh()) return false;
  }
  if (spec.workload == Workload::kStats) {
    std::printf("\n%s:\n%s\n", std::string(engine->StatsPropertyName()).c_str(),
                engine->Stats().c_str());
    return true;
  }
  if (spec.workload == Workload::kCompact) return RunCompact(spec);

  const CostSnapshot before = TakeCostSnapshot();
  Totals readers, writer;
  if (!RunThreads(spec, index, &readers, &writer)) return false;
  const bool is_write = spec.cost == Cost::kWrites && spec.workload != Workload::kReadWhileWriting;
  const bool is_scan =
      spec.workload == Workload::kReadSeq || spec.workload == Workload::kReadReverse;
  const bool is_lookup = !is_write && !is_scan;
  PrintResultLine(spec.name, readers, is_write || is_scan, is_lookup);
  if (config.histogram) std::printf("%s\n", readers.hist.ToString().c_str());
  if (spec.workload == Workload::kReadWhileWriting) ReportWriter(spec.name, writer);
  const int64_t logical =
      spec.workload == Workload::kReadWhileWriting ? writer.bytes : readers.bytes;
  ReportCost(spec.cost, before, logical);
  return true;
}

bool Runner::Impl::RunCompact(const BenchmarkSpec& spec) {
  const CostSnapshot before = TakeCostSnapshot();
  const TimePoint start = Clock::now();
  if (!Check("compact", engine->CompactAll())) return false;
  Totals t;
  t.ops = 1;
  t.elapsed_seconds = t.busy_seconds = Seconds(Clock::now() - start);
  PrintResultLine(spec.name, t, false, false);
  ReportCost(spec.cost, before, 0);
  return true;
}

bool Runner::Impl::RunThreads(const BenchmarkSpec& spec, int index, Totals* readers,
                              Totals* writer) {
  const bool with_writer = spec.workload == Workload::kReadWhileWriting;
  const int n = config.threads + (with_writer ? 1 : 0);
  SharedState shared;
  shared.readers_left = config.threads;
  std::vector<std::unique_ptr<ThreadContext>> contexts;
  for (int i = 0; i < n; i++) {
    contexts.push_back(std::make_unique<ThreadContext>(config, spec.name, index, i,
                                                       with_writer && i == config.threads));
  }
  std::latch ready(n);
  {
    std::vector<std::jthread> threads;
    for (const auto& context : contexts) {
      threads.emplace_back([this, &spec, &shared, &ready, t = context.get()] {
        ready.arrive_and_wait();
        t->stats.Start();
        RunWorkload(spec, *t, shared);
        t->stats.Stop();
        if (!t->is_writer) shared.readers_left.fetch_sub(1, std::memory_order_release);
      });
    }
  }  // joins every thread
  if (shared.failed.load()) {
    std::fflush(stdout);
    std::fprintf(stderr, "%-12s : FAILED: %s\n", spec.name, shared.error.c_str());
    return false;
  }
  std::vector<const ThreadStats*> reader_stats, writer_stats;
  for (const auto& context : contexts) {
    (context->is_writer ? writer_stats : reader_stats).push_back(&context->stats);
  }
  *readers = Merge(reader_stats);
  *writer = Merge(writer_stats);
  return true;
}

void Runner::Impl::RunWorkload(const BenchmarkSpec& spec, ThreadContext& t, SharedState& shared) {
  OpLimit limit(OpsPerThread(spec.workload), config.duration_seconds, shared);
  switch (spec.workload) {
    case Workload::kFillSeq:
      return DoWrite(t, shared, limit, KeyOrder::kSequential, config.sync, false);
    case Workload::kFillRandom:
    case Workload::kOverwrite:
      return DoWrite(t, shared, limit, KeyOrder::kRandom, config.sync, false);
    case Workload::kFillSync:
      return DoWrite(t, shared, limit, KeyOrder::kRandom, true, false);
    case Workload::kDeleteRandom:
      return DoWrite(t, shared, limit, KeyOrder::kRandom, config.sync, true);
    case Workload::kReadRandom:
      return DoRead(t, shared, limit, false);
    case Workload::kReadMissing:
      return DoRead(t, shared, limit, true);
    case Workload::kReadSeq:
      return DoScan(t, shared, limit, false);
    case Workload::kReadReverse:
      return DoScan(t, shared, limit, true);
    case Workload::kSeekRandom:
      return DoSeek(t, shared, limit, config.seek_nexts);
    case Workload::kSeekRandomNext:
      return DoSeek(t, shared, limit, config.seek_nexts > 0 ? config.seek_nexts : 100);
    case Workload::kReadWhileWriting:
      return t.is_writer ? DoWriteWhileReading(t, shared) : DoRead(t, shared, limit, false);
    case Workload::kCompact:
    case Workload::kStats:
      return;  // not run on threads
  }
}

void Runner::Impl::DoWrite(ThreadContext& t, SharedState& shared, OpLimit& limit, KeyOrder order,
                           bool sync, bool is_delete) {
  const size_t key_size = config.key_size;
  const size_t value_size = is_delete ? 0 : config.value_size;
  const auto max_batch = static_cast<int64_t>(config.batch_size);
  std::string keys(static_cast<size_t>(max_batch) * key_size, '0');
  std::vector<WriteOp> ops(static_cast<size_t>(max_batch));
  for (int64_t done = 0; !limit.Done(done);) {
    const int64_t batch = limit.NextBatch(done, max_batch);
    for (int64_t j = 0; j < batch; j++) {
      const uint64_t n = order == KeyOrder::kSequential ? static_cast<uint64_t>(done + j)
                                                        : t.rng.Uniform(key_space());
      char* key = keys.data() + static_cast<size_t>(j) * key_size;
      FormatKey(n, key_size, key);
      ops[static_cast<size_t>(j)] = {std::string_view(key, key_size),
                                     is_delete ? std::string_view() : t.values.Next(value_size),
                                     is_delete};
    }
    const TimePoint op_start = t.stats.OpStart();
    OpStatus s;
    if (batch > 1) {
      s = engine->Write(std::span<const WriteOp>(ops.data(), static_cast<size_t>(batch)), sync);
    } else if (is_delete) {
      s = engine->Delete(ops[0].key, sync);
    } else {
      s = engine->Put(ops[0].key, ops[0].value, sync);
    }
    if (!s.ok()) {
      shared.Fail(std::string(is_delete ? "delete" : "write") + " failed: " + s.message());
      return;
    }
    t.stats.bytes += batch * static_cast<int64_t>(key_size + value_size);
    t.stats.FinishedOps(batch, op_start);
    done += batch;
  }
}

void Runner::Impl::DoWriteWhileReading(ThreadContext& t, SharedState& shared) {
  const int64_t entry_bytes = static_cast<int64_t>(config.key_size + config.value_size);
  while (shared.readers_left.load(std::memory_order_acquire) > 0 &&
         !shared.failed.load(std::memory_order_relaxed)) {
    const std::string_view key = t.key.Set(t.rng.Uniform(key_space()));
    const std::string_view value = t.values.Next(config.value_size);
    const TimePoint op_start = t.stats.OpStart();
    const OpStatus s = engine->Put(key, value, config.sync);
    if (!s.ok()) {
      shared.Fail("write failed: " + s.message());
      return;
    }
    t.stats.bytes += entry_bytes;
    t.stats.FinishedOps(1, op_start);
  }
}

void Runner::Impl::DoRead(ThreadContext& t, SharedState& shared, OpLimit& limit, bool missing) {
  std::string value;
  for (int64_t done = 0; !limit.Done(done); done++) {
    const uint64_t n = t.rng.Uniform(key_space());
    const std::string_view key = missing ? t.key.SetMissing(n) : t.key.Set(n);
    const TimePoint op_start = t.stats.OpStart();
    const OpStatus s = engine->Get(key, &value);
    if (s.ok()) {
      t.stats.found++;
      t.stats.bytes += static_cast<int64_t>(key.size() + value.size());
    } else if (!s.IsNotFound()) {
      shared.Fail("read failed: " + s.message());
      return;
    }
    t.stats.FinishedOps(1, op_start);
  }
}

void Runner::Impl::DoScan(ThreadContext& t, SharedState& shared, OpLimit& limit, bool reverse) {
  const std::unique_ptr<EngineIterator> it = engine->NewIterator();
  const auto rewind = [&] { reverse ? it->SeekToLast() : it->SeekToFirst(); };
  rewind();
  for (int64_t done = 0; !limit.Done(done); done++) {
    if (!it->Valid()) {
      // A timed run starts over at the end of the DB; a counted run stops there, as db_bench's.
      if (!it->status().ok() || !limit.timed() || done == 0) break;
      rewind();
      if (!it->Valid()) break;
    }
    t.stats.bytes += static_cast<int64_t>(it->key().size() + it->value().size());
    const TimePoint op_start = t.stats.OpStart();
    reverse ? it->Prev() : it->Next();
    t.stats.FinishedOps(1, op_start);
  }
  const OpStatus s = it->status();
  if (!s.ok()) shared.Fail("iteration failed: " + s.message());
}

void Runner::Impl::DoSeek(ThreadContext& t, SharedState& shared, OpLimit& limit, int nexts) {
  for (int64_t done = 0; !limit.Done(done); done++) {
    const std::string_view key = t.key.Set(t.rng.Uniform(key_space()));
    const TimePoint op_start = t.stats.OpStart();
    // A new iterator per seek, as db_bench does: it sees the latest data, and creating it is part
    // of the cost of a short range query.
    const std::unique_ptr<EngineIterator> it = engine->NewIterator();
    it->Seek(key);
    if (it->Valid() && it->key() == key) t.stats.found++;
    for (int j = 0; j < nexts && it->Valid(); j++) {
      t.stats.bytes += static_cast<int64_t>(it->key().size() + it->value().size());
      it->Next();
    }
    const OpStatus s = it->status();
    if (!s.ok()) {
      shared.Fail("seek failed: " + s.message());
      return;
    }
    t.stats.FinishedOps(1, op_start);
  }
}

CostSnapshot Runner::Impl::TakeCostSnapshot() const {
  return CostSnapshot{ReadProcessIo(), engine->InternalWriteCounters()};
}

void Runner::Impl::ReportWriter(const char* name, const Totals& writer) const {
  const double elapsed = std::max(writer.elapsed_seconds, 1e-9);
  std::printf("%-12s   writer: %" PRId64 " ops, %" PRId64 " ops/sec, %.1f MB/s\n", name, writer.ops,
              static_cast<int64_t>(static_cast<double>(writer.ops) / elapsed),
              MiB(static_cast<double>(writer.bytes)) / elapsed);
  if (config.histogram) {
    std::printf("Writer microseconds per op: Count: %" PRIu64 "  Average: %.4f  StdDev: %.2f\n",
                writer.hist.Count(), writer.hist.Average() / 1000.0, writer.hist.StdDev() / 1000.0);
    std::printf("Writer percentiles: %s\n", writer.hist.PercentileLine().c_str());
  }
}

void Runner::Impl::ReportCost(Cost cost, const CostSnapshot& before, int64_t logical_bytes) const {
  if (cost == Cost::kNone) return;
  const CostSnapshot after = TakeCostSnapshot();
  if (after.io.available) {
    const Written written = WrittenBetween(before.io, after.io);
    const auto cancelled =
        static_cast<double>(after.io.cancelled_write_bytes - before.io.cancelled_write_bytes);
    if (cost == Cost::kWrites && logical_bytes > 0) {
      PrintCostLine("write amp (process I/O)", WriteAmpText(written, logical_bytes));
    } else {
      PrintCostLine("written (process I/O)",
                    Format("%.1f MB [%s]", MiB(written.bytes), written.source));
    }
    if (cancelled > 0) {
      PrintCostLine("cancelled writes",
                    Format("%.1f MB (files deleted before writeback)", MiB(cancelled)));
    }
  } else {
    PrintCostLine("write amp (process I/O)", "n/a (/proc/self/io unreadable)");
  }
  const DirectoryUsage usage = MeasureDirectory(config.db_path);
  PrintCostLine("space (DB directory)", Format("%.1f MB in %" PRIu64 " files",
                                               MiB(static_cast<double>(usage.bytes)), usage.files));
  if (config.settle_seconds > 0 && cost == Cost::kWrites) {
    ReportSettled(before, usage, logical_bytes);
  }
  ReportEngineCounters(before, after);
}

// Polls the DB directory until it has not changed (bytes and file count) for a second: the
// engine's background flushes and compactions are done, whatever the engine. Gives up after
// config.settle_seconds. Then reports the space, and the write amplification counting the
// background work the benchmark left behind.
void Runner::Impl::ReportSettled(const CostSnapshot& before, DirectoryUsage last,
                                 int64_t logical_bytes) const {
  using Clock = std::chrono::steady_clock;
  constexpr auto kPoll = std::chrono::milliseconds(100);
  constexpr int kStablePolls = 10;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(config.settle_seconds);
  int stable = 0;
  while (stable < kStablePolls && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPoll);
    const DirectoryUsage now = MeasureDirectory(config.db_path);
    stable = now.bytes == last.bytes && now.files == last.files ? stable + 1 : 0;
    last = now;
  }
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  PrintCostLine("space (settled)",
                Format("%.1f MB in %" PRIu64 " files (%s after %.1f s)",
                       MiB(static_cast<double>(last.bytes)), last.files,
                       stable >= kStablePolls ? "unchanged for 1 s" : "still changing", waited));
  const ProcessIo io = ReadProcessIo();
  if (io.available && before.io.available && logical_bytes > 0) {
    PrintCostLine("write amp (settled)", WriteAmpText(WrittenBetween(before.io, io), logical_bytes));
  }
}

void Runner::Impl::ReportEngineCounters(const CostSnapshot& before,
                                        const CostSnapshot& after) const {
  if (!before.engine || !after.engine) return;
  const double user = after.engine->user_mb - before.engine->user_mb;
  const double sst = after.engine->sst_written_mb - before.engine->sst_written_mb;
  const double wal = after.engine->wal_mb - before.engine->wal_mb;
  const std::string name(engine->StatsPropertyName());
  if (user > 0) {
    PrintCostLine(
        "write amp (" + name + ")",
        Format("%.2f SST only, %.2f with WAL (this benchmark)", sst / user, (sst + wal) / user));
  } else {
    PrintCostLine("SST written (" + name + ")", Format("%.1f MB (this benchmark)", sst));
  }
  const std::string line = FirstLineStartingWith(engine->Stats(), "Write amplification:");
  if (!line.empty()) PrintCostLine(name, line + " (since open)");
}

}  // namespace strata::bench
