// Concurrency: writer and reader threads with background flushes and compactions. Readers
// check that a batch is never seen in part (all keys of a group carry the same stamp) and that
// a value never goes back in time (a writer's counter only grows, for every reader).

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "strata/db.h"
#include "testutil.h"

namespace strata {
namespace {

constexpr int kWriters = 3;
constexpr int kReaders = 3;
constexpr int kGroups = 8;
constexpr int kKeysPerGroup = 5;

std::string GroupKey(int group, int k) {
  return "g" + std::to_string(group) + "_" + std::to_string(k);
}
std::string CounterKey(int writer) { return "counter" + std::to_string(writer); }

// Stamps are "<writer>:<sequence>" with a fixed-width sequence, padded to a longer value so
// that memtables fill and flush often.
std::string Stamp(int writer, uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d:%012llu", writer, static_cast<unsigned long long>(seq));
  return std::string(buf) + std::string(64, '.');
}

uint64_t StampSequence(std::string_view stamp) {
  const size_t colon = stamp.find(':');
  return std::stoull(std::string(stamp.substr(colon + 1, 12)));
}

class DBConcurrencyTest : public testing::TestWithParam<bool> {};

TEST_P(DBConcurrencyTest, NoTornBatchesNoTimeTravel) {
  const bool use_posix = GetParam();
  test::TempDir dir;
  Options options;
  options.create_if_missing = true;
  if (!use_posix) options.file_system = NewMemFileSystem();
  options.write_buffer_size = 32 * 1024;
  options.max_bytes_for_level_base = 256 * 1024;
  options.target_file_size_base = 64 * 1024;
  options.level0_file_num_compaction_trigger = 2;
  options.block_cache_size = 64 * 1024;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, use_posix ? dir.path() + "/db" : "/db", &db));

  const auto ops_per_writer = static_cast<uint64_t>(4000 * test::TestScale());
  std::atomic<int> writers_done{0};
  std::atomic<uint64_t> violations{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> threads;

  for (int w = 0; w < kWriters; w++) {
    threads.emplace_back([&, w] {
      for (uint64_t seq = 1; seq <= ops_per_writer; seq++) {
        WriteBatch batch;
        const int group = static_cast<int>((seq + static_cast<uint64_t>(w)) % kGroups);
        const std::string stamp = Stamp(w, seq);
        for (int k = 0; k < kKeysPerGroup; k++) batch.Put(GroupKey(group, k), stamp);
        batch.Put(CounterKey(w), stamp);
        WriteOptions wo;
        wo.sync = (seq % 500 == 0);
        const Status s = db->Write(wo, &batch);
        if (!s.ok()) {
          ADD_FAILURE() << s.ToString();
          break;
        }
      }
      writers_done.fetch_add(1);
    });
  }

  for (int r = 0; r < kReaders; r++) {
    threads.emplace_back([&, r] {
      Random rnd(test::TestSeed() + static_cast<uint64_t>(r));
      std::vector<uint64_t> last_seen(kWriters, 0);
      while (writers_done.load() < kWriters) {
        // A group read through a snapshot must be all one stamp.
        const int group = static_cast<int>(rnd.Uniform(kGroups));
        const Snapshot* snap = db->GetSnapshot();
        ReadOptions ro;
        ro.snapshot = snap;
        std::string first, value;
        for (int k = 0; k < kKeysPerGroup; k++) {
          const Status s = db->Get(ro, GroupKey(group, k), &value);
          if (!s.ok() && !s.IsNotFound()) {
            ADD_FAILURE() << s.ToString();
            violations.fetch_add(1);
            break;
          }
          const std::string got = s.ok() ? value : std::string("<absent>");
          if (k == 0) {
            first = got;
          } else if (got != first) {
            violations.fetch_add(1);
          }
        }
        db->ReleaseSnapshot(snap);

        // The same group through an iterator (its implicit snapshot).
        std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
        it->Seek(GroupKey(group, 0));
        std::string iter_first;
        for (int k = 0; k < kKeysPerGroup && it->Valid(); k++, it->Next()) {
          if (k == 0) iter_first = std::string(it->value());
          if (it->value() != iter_first) violations.fetch_add(1);
        }
        if (!it->status().ok()) violations.fetch_add(1);

        // Counters never go backwards for this reader.
        for (int w = 0; w < kWriters; w++) {
          const Status s = db->Get(ReadOptions(), CounterKey(w), &value);
          if (s.IsNotFound()) continue;
          if (!s.ok()) {
            violations.fetch_add(1);
            continue;
          }
          const uint64_t seq = StampSequence(value);
          if (seq < last_seen[w]) violations.fetch_add(1);
          last_seen[w] = seq;
        }
        reads.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(0u, violations.load());
  EXPECT_GT(reads.load(), 0u);

  // Every writer's last write is there, and survives reopen.
  for (int pass = 0; pass < 2; pass++) {
    for (int w = 0; w < kWriters; w++) {
      std::string value;
      ASSERT_OK(db->Get(ReadOptions(), CounterKey(w), &value));
      EXPECT_EQ(ops_per_writer, StampSequence(value));
    }
    db.reset();
    ASSERT_OK(DB::Open(options, use_posix ? dir.path() + "/db" : "/db", &db));
  }
  std::string stats;
  ASSERT_TRUE(db->GetProperty("strata.stats", &stats));
  ASSERT_OK(db->VerifyChecksums());
}

INSTANTIATE_TEST_SUITE_P(FileSystems, DBConcurrencyTest, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Posix") : std::string("Mem");
                         });

}  // namespace
}  // namespace strata
