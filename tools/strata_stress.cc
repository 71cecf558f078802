// strata_stress: a multi-threaded stress test of strata with an expected-state oracle that
// survives kill -9. See docs/stress.md.
//
// Each run: open (and so recover) the DB, check every key against the oracle and resolve the
// writes a previous process left in flight, run worker threads that write and check every read
// until --duration / --ops, then check everything again. tools/crash_test.sh kills runs with
// SIGKILL at random moments and reopens with --verify_only.
//
// Exit codes: 0 ok, 1 usage or setup error, 2 verification failure, 3 unexpected strata status.

#include <gflags/gflags.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "strata/db.h"
#include "stress/expected_state.h"
#include "stress/key_value.h"
#include "stress/lock_table.h"
#include "stress/report.h"
#include "stress/stress_options.h"
#include "stress/verifier.h"
#include "stress/worker.h"

DEFINE_string(db, "", "Path of the DB directory (required)");
DEFINE_string(expected_state, "",
              "Path of the oracle file; default <db>/../<name of db>.expected. Must be outside "
              "the DB directory");
DEFINE_bool(destroy, false, "Destroy the DB and the oracle first and start from scratch");
DEFINE_bool(verify_only, false,
            "Open the DB, verify it against the oracle, resolve in-flight writes, and exit");
DEFINE_int32(threads, 4, "Worker threads");
DEFINE_uint64(duration, 30, "Seconds to run; 0: until killed (or --ops)");
DEFINE_uint64(ops, 0, "Operations per thread; 0: unlimited");
DEFINE_uint64(keys, 10000, "Size of the key space");
DEFINE_uint64(value_size_max, 256, "Largest value size in bytes");
DEFINE_string(sync, "false", "WriteOptions::sync: true, false, or mixed (per write)");
DEFINE_uint64(seed, 0, "Random seed; 0: pick one (printed)");
DEFINE_bool(verbose, false, "Print progress every second");

DEFINE_int32(put, 40, "Percent of operations that are Puts");
DEFINE_int32(delete, 10, "Percent of operations that are Deletes");
DEFINE_int32(batch, 10, "Percent of operations that are multi-key WriteBatches");
DEFINE_int32(get, 25, "Percent of operations that are Gets");
DEFINE_int32(iterate, 10, "Percent of operations that are iterator scans");
DEFINE_int32(snapshot, 5, "Percent of operations that take a snapshot (checked later)");
DEFINE_uint64(flush_every, 5000, "Call Flush every this many operations (all threads); 0: never");
DEFINE_uint64(compact_every, 20000, "Call CompactRange every this many operations; 0: never");
DEFINE_int32(batch_keys_max, 8, "Keys per WriteBatch: 2 to this (at most 32)");
DEFINE_int32(scan_keys_max, 64, "Width of the key window an iterator check covers");
DEFINE_int32(snapshot_ops_max, 32, "A snapshot is checked after up to this many more ops");

DEFINE_uint64(write_buffer_size, 256 << 10, "Options::write_buffer_size");
DEFINE_int32(max_write_buffer_number, 2, "Options::max_write_buffer_number");
DEFINE_uint64(target_file_size_base, 256 << 10, "Options::target_file_size_base");
DEFINE_uint64(max_bytes_for_level_base, 1 << 20, "Options::max_bytes_for_level_base");
DEFINE_int32(level0_file_num_compaction_trigger, 4, "Options::level0_file_num_compaction_trigger");
DEFINE_uint64(block_size, 4096, "Options::block_size");
DEFINE_int32(bloom_bits_per_key, 10, "Options::bloom_bits_per_key");
DEFINE_uint64(block_cache_size, 1 << 20, "Options::block_cache_size");
DEFINE_string(compression, "none", "Options::compression: none, snappy or zstd");

namespace strata::stress {
namespace {

constexpr size_t kLockStripes = 1024;

SyncMode ParseSync(const std::string& s) {
  if (s == "true") return SyncMode::kOn;
  if (s == "false") return SyncMode::kOff;
  if (s == "mixed") return SyncMode::kMixed;
  FailUsage("--sync must be true, false or mixed, got " + s);
}

CompressionType ParseCompression(const std::string& s) {
  if (s == "none") return CompressionType::kNone;
  if (s == "snappy") return CompressionType::kSnappy;
  if (s == "zstd") return CompressionType::kZstd;
  FailUsage("--compression must be none, snappy or zstd, got " + s);
}

StressOptions StressOptionsFromFlags(uint64_t seed) {
  StressOptions o;
  o.threads = FLAGS_threads;
  o.duration_seconds = FLAGS_duration;
  o.ops_per_thread = FLAGS_ops;
  o.keys = FLAGS_keys;
  o.value_size_max = FLAGS_value_size_max;
  o.sync = ParseSync(FLAGS_sync);
  o.seed = seed;
  o.put_percent = FLAGS_put;
  o.delete_percent = FLAGS_delete;
  o.batch_percent = FLAGS_batch;
  o.get_percent = FLAGS_get;
  o.iterate_percent = FLAGS_iterate;
  o.snapshot_percent = FLAGS_snapshot;
  o.flush_every = FLAGS_flush_every;
  o.compact_every = FLAGS_compact_every;
  o.batch_keys_max = FLAGS_batch_keys_max;
  o.scan_keys_max = FLAGS_scan_keys_max;
  o.snapshot_ops_max = FLAGS_snapshot_ops_max;
  o.verbose = FLAGS_verbose;

  if (o.threads < 1 || o.threads > 1024) FailUsage("--threads must be in [1, 1024]");
  if (o.keys < 1 || o.keys >= kMaxKeys) FailUsage("--keys must be in [1, 10^10)");
  if (o.value_size_max > (size_t{64} << 20)) FailUsage("--value_size_max must be <= 64 MiB");
  const int mix[] = {o.put_percent, o.delete_percent,  o.batch_percent,
                     o.get_percent, o.iterate_percent, o.snapshot_percent};
  int total = 0;
  for (const int p : mix) {
    if (p < 0) FailUsage("operation percentages must not be negative");
    total += p;
  }
  if (total != 100) {
    FailUsage(
        "--put --delete --batch --get --iterate --snapshot must add up to 100, they add up "
        "to " +
        std::to_string(total));
  }
  if (o.batch_keys_max < 2 || o.batch_keys_max > kMaxLockedKeys) {
    FailUsage("--batch_keys_max must be in [2, " + std::to_string(kMaxLockedKeys) + "]");
  }
  if (o.scan_keys_max < 1) FailUsage("--scan_keys_max must be >= 1");
  if (o.snapshot_ops_max < 0) FailUsage("--snapshot_ops_max must be >= 0");
  return o;
}

// Range checks of the engine options are DB::Open's job: a bad one fails Open with
// InvalidArgument naming it.
Options DbOptionsFromFlags() {
  Options o;
  o.create_if_missing = true;
  o.write_buffer_size = FLAGS_write_buffer_size;
  o.max_write_buffer_number = FLAGS_max_write_buffer_number;
  o.target_file_size_base = FLAGS_target_file_size_base;
  o.max_bytes_for_level_base = FLAGS_max_bytes_for_level_base;
  o.level0_file_num_compaction_trigger = FLAGS_level0_file_num_compaction_trigger;
  o.level0_slowdown_writes_trigger =
      std::max(o.level0_slowdown_writes_trigger, o.level0_file_num_compaction_trigger);
  o.level0_stop_writes_trigger =
      std::max(o.level0_stop_writes_trigger, o.level0_slowdown_writes_trigger);
  o.block_size = FLAGS_block_size;
  o.bloom_bits_per_key = FLAGS_bloom_bits_per_key;
  o.block_cache_size = FLAGS_block_cache_size;
  o.compression = ParseCompression(FLAGS_compression);
  return o;
}

// The oracle must not live in the DB directory: DestroyDB or the engine could remove it, and it
// must not be mistaken for DB state.
std::string ExpectedStatePath(const std::string& db) {
  namespace fs = std::filesystem;
  const fs::path db_path = fs::absolute(fs::path(db)).lexically_normal();
  const fs::path db_dir = db_path.has_filename() ? db_path : db_path.parent_path();
  fs::path oracle = FLAGS_expected_state.empty()
                        ? db_dir.parent_path() / (db_dir.filename().string() + ".expected")
                        : fs::absolute(fs::path(FLAGS_expected_state)).lexically_normal();
  const std::string dir = db_dir.string() + "/";
  if (oracle.string().starts_with(dir)) {
    FailUsage("--expected_state " + oracle.string() + " is inside the DB directory " +
              db_dir.string());
  }
  return oracle.string();
}

std::string ReplayCommand(const std::vector<std::string>& args, uint64_t seed) {
  std::string cmd;
  for (const std::string& arg : args) {
    if (arg.starts_with("--seed=") || arg.starts_with("-seed=")) continue;
    cmd += (cmd.empty() ? "" : " ") + arg;
  }
  return cmd + " --seed=" + std::to_string(seed);
}

void VerifyOrFail(DB* db, ExpectedState* oracle, const char* when) {
  const VerifyResult r = VerifyDatabase(db, oracle, /*resolve_pending=*/true);
  std::printf("%s (%s)\n", r.ToString().c_str(), when);
  std::fflush(stdout);
  if (!r.ok()) FailVerification(std::string(when) + ": the DB disagrees with the oracle");
}

// Runs the workers; returns their combined statistics.
WorkerStats RunWorkers(DB* db, ExpectedState* oracle, const StressOptions& so) {
  LockTable locks(kLockStripes);
  SharedState shared;
  shared.db = db;
  shared.oracle = oracle;
  shared.locks = &locks;
  shared.options = &so;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  std::atomic<int> finished{0};
  for (int i = 0; i < so.threads; i++) workers.push_back(std::make_unique<Worker>(&shared, i));
  for (auto& w : workers) {
    threads.emplace_back([&w, &finished] {
      w->Run();
      finished.fetch_add(1);
    });
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t ticks = 0;
  while (finished.load() < so.threads) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (so.duration_seconds != 0 && elapsed >= static_cast<double>(so.duration_seconds)) break;
    if (so.verbose && ++ticks % 10 == 0) {
      std::printf("strata_stress: %.0f s, %llu ops\n", elapsed,
                  static_cast<unsigned long long>(shared.ops.load()));
      std::fflush(stdout);
    }
  }
  shared.stop.store(true);
  for (auto& t : threads) t.join();
  WorkerStats total;
  for (const auto& w : workers) total.Add(w->stats());
  return total;
}

int Main(int argc, char** argv) {
  const std::vector<std::string> original_args(argv, argv + argc);
  gflags::SetUsageMessage("strata_stress --db=<dir> [flags]  (see docs/stress.md)");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc > 1) FailUsage(std::string("unexpected argument ") + argv[1]);
  if (FLAGS_db.empty()) FailUsage("--db is required");

  const uint64_t seed = FLAGS_seed != 0 ? FLAGS_seed : (std::random_device()() | uint64_t{1});
  SetReplayCommand(ReplayCommand(original_args, seed));

  const StressOptions so = StressOptionsFromFlags(seed);
  const Options options = DbOptionsFromFlags();
  const std::string oracle_path = ExpectedStatePath(FLAGS_db);

  if (FLAGS_destroy) {
    CheckOk(DestroyDB(FLAGS_db, options), "DestroyDB");
    CheckOk(ExpectedState::Remove(oracle_path), "removing the expected state");
  }
  if (FLAGS_verify_only && !std::filesystem::exists(oracle_path)) {
    FailUsage("--verify_only: no expected state at " + oracle_path);
  }
  std::unique_ptr<ExpectedState> oracle;
  const Status os = ExpectedState::Open(oracle_path, FLAGS_verify_only ? 1 : so.keys, &oracle);
  if (!os.ok()) FailUsage("expected state: " + os.ToString());
  std::printf(
      "strata_stress: db=%s expected_state=%s keys=%llu seed=%llu run=%llu\n", FLAGS_db.c_str(),
      oracle_path.c_str(), static_cast<unsigned long long>(oracle->num_keys()),
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(oracle->runs()));
  std::fflush(stdout);

  std::unique_ptr<DB> db;
  CheckOk(DB::Open(options, FLAGS_db, &db), "DB::Open");
  if (FLAGS_verify_only) CheckOk(db->VerifyChecksums(), "VerifyChecksums");
  VerifyOrFail(db.get(), oracle.get(), FLAGS_verify_only ? "after reopen" : "at start");
  if (FLAGS_verify_only) return kExitOk;

  const auto start = std::chrono::steady_clock::now();
  const WorkerStats stats = RunWorkers(db.get(), oracle.get(), so);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  VerifyOrFail(db.get(), oracle.get(), "at end");
  if (so.verbose) {
    std::string stats_text;
    if (db->GetProperty("strata.stats", &stats_text)) std::printf("%s", stats_text.c_str());
  }
  db.reset();  // closing waits for background work
  std::printf("strata_stress: ok in %.1f s: %s; acknowledged writes %llu (all runs: %llu)\n", secs,
              stats.ToString().c_str(),
              static_cast<unsigned long long>(stats.acknowledged_writes()),
              static_cast<unsigned long long>(oracle->acknowledged()));
  return kExitOk;
}

}  // namespace
}  // namespace strata::stress

int main(int argc, char** argv) { return strata::stress::Main(argc, argv); }
