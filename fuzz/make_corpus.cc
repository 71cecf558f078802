// make_corpus: writes the seed corpora of the fuzz targets with strata's own writers.
//
//   make_corpus <dir>      writes <dir>/<target>/<seed name> for every target (fuzz/targets.h)
//
// The committed corpora in fuzz/corpus/ come from this program (see docs/testing.md).
// The output is deterministic. Seeds are small: real blocks, tables, logs, batches, edits and
// filters, plus scripts of DB operations, each prefixed with the mode byte its target expects
// (most with checksum fix-up on, so that mutations of them reach the parsers).

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "db/write_batch_internal.h"
#include "fs/mem_fs.h"
#include "sst/block_builder.h"
#include "sst/compression.h"
#include "sst/filter.h"
#include "sst/format.h"
#include "sst/table_builder.h"
#include "sst/table_options.h"
#include "strata/comparator.h"
#include "strata/db.h"
#include "strata/file_system.h"
#include "strata/write_batch.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/random.h"
#include "version/version_edit.h"
#include "wal/log_writer.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// Mode bits, as the targets define them (fuzz/*_target.h).
constexpr uint8_t kFix = 1;
constexpr uint8_t kBlockInternal = 1 << 1;  // key kind 1
constexpr uint8_t kBlockReverseInternal = 2 << 1;
constexpr uint8_t kBlockReverse = 3 << 1;
constexpr uint8_t kBlockPhysical = 8;
constexpr uint8_t kBlockVerify = 16;
constexpr uint8_t kTableVerify = 2;
constexpr uint8_t kTableCache = 4 | 8;
constexpr uint8_t kLogManifest = 2;
constexpr uint64_t kLogFileNumber = 7;  // kLogFuzzFileNumber

class Corpus {
 public:
  explicit Corpus(fs::path dir) : dir_(std::move(dir)) {}

  void Add(const std::string& target, const std::string& name, std::string_view bytes) {
    const fs::path d = dir_ / target;
    fs::create_directories(d);
    std::ofstream out(d / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_corpus: cannot write %s\n", (d / name).c_str());
      std::exit(1);
    }
    total_ += bytes.size();
    files_++;
  }
  size_t total() const { return total_; }
  size_t files() const { return files_; }

 private:
  fs::path dir_;
  size_t total_ = 0;
  size_t files_ = 0;
};

std::string WithMode(uint8_t mode, std::string_view bytes) {
  std::string s(1, static_cast<char>(mode));
  s.append(bytes);
  return s;
}

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
  std::string k;
  AppendInternalKey(&k, ParsedInternalKey(user_key, seq, type));
  return k;
}

class Sink final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    contents.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return contents.size(); }
  std::string contents;
};

// ---- Blocks ---------------------------------------------------------------------------------

std::string BuildBlock(const std::vector<std::pair<std::string, std::string>>& entries,
                       int restart_interval) {
  BlockBuilder b(restart_interval);
  for (const auto& [k, v] : entries) b.Add(k, v);
  return std::string(b.Finish());
}

// The block as stored in a file at offset 0: contents | type | checksum.
std::string PhysicalBlock(std::string_view contents, CompressionType type) {
  std::string stored(contents);
  std::string compressed;
  if (type != CompressionType::kNone && CompressBlock(type, contents, &compressed)) {
    stored = compressed;
  } else {
    type = CompressionType::kNone;
  }
  stored.push_back(static_cast<char>(type));
  PutFixed32(&stored, BlockChecksum(stored, 0));
  return stored;
}

void AddBlockSeeds(Corpus* c) {
  const std::string t = "block_fuzzer";
  std::vector<std::pair<std::string, std::string>> opaque;
  for (int i = 0; i < 40; i++) {
    char key[32];
    std::snprintf(key, sizeof(key), "key%05d", i * 7);
    opaque.emplace_back(key, std::string(static_cast<size_t>(i % 9), static_cast<char>('a' + i)));
  }
  c->Add(t, "empty", WithMode(0, BuildBlock({}, 16)));
  c->Add(t, "opaque-r1", WithMode(0, BuildBlock(opaque, 1)));
  c->Add(t, "opaque-r4", WithMode(0, BuildBlock(opaque, 4)));
  c->Add(t, "opaque-r16", WithMode(0, BuildBlock(opaque, 16)));

  // Long shared prefixes: keys over the iterator's inline key buffer.
  std::vector<std::pair<std::string, std::string>> longkeys;
  for (int i = 0; i < 12; i++) {
    longkeys.emplace_back(std::string(150, 'p') + static_cast<char>('a' + i) + std::string(i, 'x'),
                          "v" + std::to_string(i));
  }
  c->Add(t, "long-keys-r3", WithMode(0, BuildBlock(longkeys, 3)));

  // Internal keys: several versions per user key, newest first.
  std::vector<std::pair<std::string, std::string>> internal;
  for (int u = 0; u < 10; u++) {
    for (int seq = 30; seq > 27; seq--) {
      const ValueType type = (seq + u) % 4 == 0 ? kTypeDeletion : kTypeValue;
      internal.emplace_back(
          IKey("user" + std::to_string(u), static_cast<SequenceNumber>(seq), type),
          type == kTypeValue ? "value" + std::to_string(seq) : "");
    }
  }
  c->Add(t, "internal-r4", WithMode(kBlockInternal, BuildBlock(internal, 4)));
  c->Add(t, "internal-r1", WithMode(kBlockInternal, BuildBlock(internal, 1)));

  // The same kinds of keys in the reversed user order.
  std::vector<std::pair<std::string, std::string>> reversed(opaque.rbegin(), opaque.rend());
  c->Add(t, "reverse-r4", WithMode(kBlockReverse, BuildBlock(reversed, 4)));
  std::vector<std::pair<std::string, std::string>> reversed_internal;
  for (int u = 9; u >= 0; u--) {
    for (int seq = 5; seq > 3; seq--) {
      reversed_internal.emplace_back(
          IKey("user" + std::to_string(u), static_cast<SequenceNumber>(seq), kTypeValue), "x");
    }
  }
  c->Add(t, "reverse-internal-r2",
         WithMode(kBlockReverseInternal, BuildBlock(reversed_internal, 2)));

  // Physical blocks, through ReadBlock: plain, snappy, zstd.
  const std::string data = BuildBlock(internal, 8);
  c->Add(t, "physical-none",
         WithMode(kFix | kBlockPhysical | kBlockVerify | kBlockInternal,
                  PhysicalBlock(data, CompressionType::kNone)));
  for (const auto& [type, name] : {std::pair{CompressionType::kSnappy, "physical-snappy"},
                                   std::pair{CompressionType::kZstd, "physical-zstd"}}) {
    if (CompressionTypeSupported(type)) {
      c->Add(t, name, WithMode(kFix | kBlockPhysical | kBlockInternal, PhysicalBlock(data, type)));
    }
  }
}

// ---- Tables ---------------------------------------------------------------------------------

std::string BuildTable(int num_users, int versions, size_t block_size, int restart_interval,
                       int bloom_bits, CompressionType compression, uint64_t seed) {
  static const InternalKeyComparator icmp(BytewiseComparator());
  TableOptions o;
  o.comparator = &icmp;
  o.block_size = block_size;
  o.block_restart_interval = restart_interval;
  o.bloom_bits_per_key = bloom_bits;
  o.compression = CompressionTypeSupported(compression) ? compression : CompressionType::kNone;
  Sink sink;
  TableBuilder builder(o, &sink);
  Random rnd(seed);
  for (int u = 0; u < num_users; u++) {
    char user[32];
    std::snprintf(user, sizeof(user), "k%04d", u * 3);
    for (int v = versions; v > 0; v--) {
      const SequenceNumber seq = static_cast<SequenceNumber>(u * 10 + v);
      const ValueType type = rnd.OneIn(5) ? kTypeDeletion : kTypeValue;
      std::string value;
      if (type == kTypeValue) value.assign(rnd.Uniform(24), static_cast<char>('a' + u % 26));
      builder.Add(IKey(user, seq, type), value);
    }
  }
  if (!builder.Finish().ok()) {
    std::fprintf(stderr, "make_corpus: table build failed\n");
    std::exit(1);
  }
  return sink.contents;
}

void AddTableSeeds(Corpus* c) {
  const std::string t = "table_fuzzer";
  c->Add(t, "empty",
         WithMode(kFix | kTableVerify, BuildTable(0, 1, 4096, 16, 10, CompressionType::kNone, 1)));
  c->Add(t, "one-block",
         WithMode(kFix | kTableVerify, BuildTable(12, 2, 4096, 4, 10, CompressionType::kNone, 2)));
  c->Add(t, "small-blocks",
         WithMode(kFix | kTableCache, BuildTable(60, 2, 256, 4, 10, CompressionType::kNone, 3)));
  c->Add(t, "no-filter",
         WithMode(kFix | kTableVerify, BuildTable(30, 1, 200, 1, 0, CompressionType::kNone, 4)));
  c->Add(t, "snappy",
         WithMode(kFix | kTableVerify | kTableCache,
                  BuildTable(50, 3, 512, 16, 10, CompressionType::kSnappy, 5)));
  c->Add(t, "zstd", WithMode(kFix, BuildTable(50, 3, 512, 8, 4, CompressionType::kZstd, 6)));
  c->Add(t, "unfixed",
         WithMode(kTableVerify, BuildTable(20, 1, 256, 2, 10, CompressionType::kNone, 7)));
}

// ---- Logs, batches, edits -----------------------------------------------------------------

std::string SampleBatch(SequenceNumber seq, int n, uint64_t seed) {
  WriteBatch batch;
  Random rnd(seed);
  for (int i = 0; i < n; i++) {
    const std::string key = "key" + std::to_string(rnd.Uniform(20));
    if (rnd.OneIn(4)) {
      batch.Delete(key);
    } else {
      batch.Put(key, std::string(rnd.Uniform(40), static_cast<char>('a' + i % 26)));
    }
  }
  WriteBatchInternal::SetSequence(&batch, seq);
  return std::string(WriteBatchInternal::Contents(&batch));
}

std::string SampleEdit(int variant) {
  VersionEdit e;
  if (variant == 0) {
    e.SetComparatorName(BytewiseComparator()->Name());
    e.SetLogNumber(5);
    e.SetNextFile(9);
    e.SetLastSequence(1234);
  }
  for (int i = 0; i < variant + 1; i++) {
    FileMetaData f;
    f.number = static_cast<uint64_t>(10 + i);
    f.file_size = 4096u * static_cast<uint64_t>(i + 1);
    f.smallest = InternalKey("a" + std::to_string(i), 100 + i, kTypeValue);
    f.largest = InternalKey("z" + std::to_string(i), 50 + i, kTypeDeletion);
    f.smallest_seqno = 50 + static_cast<SequenceNumber>(i);
    f.largest_seqno = 100 + static_cast<SequenceNumber>(i);
    e.AddFile(i % kNumLevels, f);
    e.RemoveFile((i + 1) % kNumLevels, static_cast<uint64_t>(3 + i));
  }
  if (variant == 1) e.SetCompactPointer(1, InternalKey("m", 77, kTypeValue));
  std::string out;
  e.EncodeTo(&out);
  return out;
}

std::string WriteLog(log::LogKind kind, const std::vector<std::string>& records) {
  Sink sink;
  log::Writer w(&sink, kind, kLogFileNumber);
  for (const std::string& r : records) {
    if (!w.AddRecord(r).ok()) std::exit(1);
  }
  return sink.contents;
}

void AddLogSeeds(Corpus* c) {
  const std::string t = "log_reader_fuzzer";
  std::vector<std::string> batches;
  for (int i = 0; i < 6; i++) batches.push_back(SampleBatch(1 + 10 * i, 1 + i, i));
  c->Add(t, "wal", WithMode(kFix, WriteLog(log::LogKind::kWal, batches)));
  c->Add(t, "wal-unfixed", WithMode(0, WriteLog(log::LogKind::kWal, batches)));
  c->Add(t, "wal-empty-record", WithMode(kFix, WriteLog(log::LogKind::kWal, {""})));
  c->Add(t, "empty", WithMode(kFix, ""));
  // A record spanning a block boundary (first, middle, last fragments) and a block trailer.
  std::vector<std::string> big = {std::string(100, 'a'), std::string(40000, 'b'), "tail"};
  c->Add(t, "wal-fragmented", WithMode(kFix, WriteLog(log::LogKind::kWal, big)));
  std::vector<std::string> edits = {SampleEdit(0), SampleEdit(1), SampleEdit(2)};
  c->Add(t, "manifest", WithMode(kFix | kLogManifest, WriteLog(log::LogKind::kManifest, edits)));
  // A torn tail: the last record cut short.
  std::string torn = WriteLog(log::LogKind::kWal, batches);
  torn.resize(torn.size() - 5);
  c->Add(t, "wal-torn", WithMode(kFix, torn));

  const std::string b = "write_batch_fuzzer";
  c->Add(b, "empty", SampleBatch(1, 0, 1));
  c->Add(b, "one-put", SampleBatch(7, 1, 2));
  c->Add(b, "mixed", SampleBatch(100, 12, 3));
  c->Add(b, "large-seq", SampleBatch(kMaxSequenceNumber - 20, 8, 4));

  const std::string v = "version_edit_fuzzer";
  for (int i = 0; i < 3; i++) c->Add(v, "edit" + std::to_string(i), SampleEdit(i));
  std::string with_optional = SampleEdit(0);
  PutVarint32(&with_optional, VersionEdit::kTagSafeToIgnore | 5);
  PutLengthPrefixed(&with_optional, "an optional field");
  c->Add(v, "optional-field", with_optional);
  c->Add(v, "empty", "");
}

void AddBloomSeeds(Corpus* c) {
  const std::string t = "bloom_fuzzer";
  BloomFilterBuilder builder(10);
  for (int i = 0; i < 100; i++) builder.AddKey("key" + std::to_string(i));
  c->Add(t, "filter-100-keys", WithMode(1, builder.Finish()));
  std::string keys;
  for (int i = 0; i < 30; i++) {
    const std::string k = "k" + std::to_string(i * 13);
    keys.push_back(static_cast<char>(k.size()));
    keys += k;
  }
  c->Add(t, "keys-10-bits", WithMode(9 << 1, keys));
  c->Add(t, "keys-1-bit", WithMode(0, keys));
}

// ---- DB operation scripts (db_api_target.h) ---------------------------------------------------

class Script {
 public:
  // The option bytes (DbApiRunner::ConfigureOptions): 1 KiB write buffers, 64-byte blocks,
  // restart interval 4, bloom filters, a block cache, paranoid checks, `compression`, L0 trigger
  // 2, L1 budget 2 KiB, multiplier 2, 1 KiB files, 10 open files.
  explicit Script(uint8_t compression = 0) {
    bytes_ = {0, 0, 0, 3, static_cast<uint8_t>(0x0f | compression << 4), 1, 1, 0, 0, 0};
  }
  Script& Put(uint8_t key, uint8_t value, bool sync = false) {
    return Op(0, {key, value, Sync(sync)});
  }
  Script& Delete(uint8_t key, bool sync = false) { return Op(3, {key, Sync(sync)}); }
  // (key, value) pairs; a value of kDelete makes the operation a delete.
  static constexpr int kDelete = -1;
  Script& Batch(std::initializer_list<std::pair<uint8_t, int>> ops, bool sync = false) {
    bytes_.push_back(4);
    bytes_.push_back(static_cast<uint8_t>(ops.size()));
    for (const auto& [key, value] : ops) {
      bytes_.push_back(key);
      bytes_.push_back(value == kDelete ? 0 : 1);
      if (value != kDelete) bytes_.push_back(static_cast<uint8_t>(value));
    }
    bytes_.push_back(Sync(sync));
    return *this;
  }
  Script& Get(uint8_t key) { return Op(5, {key, 1}); }
  Script& Scan() { return Op(6, {1}); }
  Script& Seek(uint8_t key, uint8_t steps) { return Op(7, {key, steps, 1}); }
  Script& Snapshot() { return Op(8, {}); }
  Script& ReadSnapshot(uint8_t i, uint8_t key) { return Op(9, {i, key, 1, 1}); }
  Script& ReleaseSnapshot(uint8_t i) { return Op(10, {i}); }
  Script& Flush() { return Op(11, {}); }
  Script& Compact() { return Op(12, {0, 0, 0}); }
  Script& Reopen() { return Op(13, {1}); }
  Script& Crash(bool randomized = false) {
    return randomized ? Op(14, {1, 1, 2, 3, 4, 5, 6, 7, 8}) : Op(14, {0});
  }
  Script& Verify() { return Op(15, {}); }
  Script& NewIterator() { return Op(16, {1}); }
  Script& CheckIterator(uint8_t i) { return Op(17, {i}); }
  std::string str() const { return std::string(bytes_.begin(), bytes_.end()); }

 private:
  static uint8_t Sync(bool sync) { return sync ? 0 : 1; }
  Script& Op(uint8_t code, std::initializer_list<uint8_t> args) {
    bytes_.push_back(code);
    bytes_.insert(bytes_.end(), args);
    return *this;
  }
  std::vector<uint8_t> bytes_;
};

void AddDbApiSeeds(Corpus* c) {
  const std::string t = "db_api_fuzzer";
  Script basic;
  for (uint8_t i = 0; i < 20; i++) basic.Put(i, static_cast<uint8_t>(i * 5));
  basic.Get(3).Delete(3).Get(3).Scan().Seek(10, 0x5a).Flush().Get(4).Scan();
  c->Add(t, "basic", basic.str());

  Script compaction(/*compression=snappy*/ 1);
  for (int round = 0; round < 4; round++) {
    for (uint8_t i = 0; i < 24; i++) compaction.Put(static_cast<uint8_t>(i * 2 + round), 0x90);
    compaction.Delete(static_cast<uint8_t>(round)).Flush();
  }
  compaction.Compact().Scan().Verify().Seek(7, 0xf0);
  c->Add(t, "flush-compact", compaction.str());

  Script snapshots;
  snapshots.Put(1, 1).Put(2, 2).Snapshot().NewIterator().Put(1, 3).Delete(2);
  for (uint8_t i = 0; i < 30; i++) snapshots.Put(static_cast<uint8_t>(i % 7), 0x85);
  snapshots.Flush().ReadSnapshot(0, 1).CheckIterator(0).Compact().ReadSnapshot(0, 2);
  snapshots.ReleaseSnapshot(0).Scan();
  c->Add(t, "snapshots", snapshots.str());

  Script reopen;
  reopen.Batch({{1, 7}, {2, Script::kDelete}, {3, 0x81}, {1, 8}})
      .Put(9, 9)
      .Reopen()
      .Scan()
      .Put(10, 0x88)
      .Reopen()
      .Get(10);
  c->Add(t, "batch-reopen", reopen.str());

  Script crash(/*compression=zstd*/ 2);
  crash.Put(1, 1, true).Put(2, 2).Put(3, 3, true).Put(4, 4).Crash().Scan();
  for (uint8_t i = 0; i < 20; i++) crash.Put(i, 0x84, i % 5 == 0);
  crash.Flush().Put(30, 3).Crash(true).Scan().Put(31, 4, true).Crash().Get(31);
  c->Add(t, "crash", crash.str());
}

// ---- DB directories (db_open_target.h) -------------------------------------------------------

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "make_corpus: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// mode | (name_length | name | varint32 size | bytes)* for every file of /db but LOCK.
std::string DbImage(uint8_t mode, FileSystem* fs) {
  std::vector<std::string> names;
  Check(fs->GetChildren("/db", &names), "list /db");
  std::map<std::string, std::string> files;
  for (const std::string& name : names) {
    if (name == "LOCK") continue;
    std::unique_ptr<SequentialFile> file;
    Check(fs->NewSequentialFile("/db/" + name, &file), "open a DB file");
    std::string contents;
    std::vector<char> buf(4096);
    for (;;) {
      std::string_view got;
      Check(file->Read(buf.size(), &got, buf.data()), "read a DB file");
      if (got.empty()) break;
      contents.append(got);
    }
    files[name] = std::move(contents);
  }
  std::string out(1, static_cast<char>(mode));
  for (const auto& [name, contents] : files) {
    out.push_back(static_cast<char>(name.size()));
    out += name;
    PutVarint32(&out, static_cast<uint32_t>(contents.size()));
    out += contents;
  }
  return out;
}

void AddDbOpenSeeds(Corpus* c) {
  const std::string t = "db_open_fuzzer";
  constexpr uint8_t kFixMode = 1, kParanoid = 2;
  Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 64 * 1024;
  o.block_size = 256;
  o.level0_file_num_compaction_trigger = 8;  // no compaction but the one asked for
  o.level0_slowdown_writes_trigger = 16;
  o.level0_stop_writes_trigger = 32;
  o.max_bytes_for_level_base = 4096;
  o.target_file_size_base = 2048;

  // A new DB: CURRENT, a MANIFEST, an empty WAL.
  auto fs = std::make_shared<MemFileSystem>();
  o.file_system = fs;
  std::unique_ptr<DB> db;
  Check(DB::Open(o, "/db", &db), "create");
  db.reset();
  c->Add(t, "new-db", DbImage(kFixMode, fs.get()));

  // SSTs at L0 and L1, and writes only in the WAL, as a process crash leaves them.
  for (const CompressionType compression : {CompressionType::kNone, CompressionType::kSnappy}) {
    if (!CompressionTypeSupported(compression)) continue;
    const std::string suffix = compression == CompressionType::kNone ? "" : "-snappy";
    fs = std::make_shared<MemFileSystem>();
    o.file_system = fs;
    o.compression = compression;
    Check(DB::Open(o, "/db", &db), "create");
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 30; i++) {
        const std::string key = "key" + std::to_string((i * 7 + round) % 40);
        const std::string value(static_cast<size_t>(i % 13), static_cast<char>('a' + round));
        Check(db->Put(WriteOptions(), key, value), "put");
      }
      Check(db->Delete(WriteOptions(), "key" + std::to_string(round)), "delete");
      Check(db->Flush(), "flush");
      if (round == 1) Check(db->CompactRange(nullptr, nullptr), "compact");
    }
    for (int i = 0; i < 10; i++) {
      Check(db->Put(WriteOptions(), "wal" + std::to_string(i), "in the log"), "put");
    }
    std::shared_ptr<MemFileSystem> crashed = fs->CrashClone(CrashOptions::ProcessCrash());
    db.reset();
    c->Add(t, "levels-and-wal" + suffix, DbImage(kFixMode, crashed.get()));
    if (!suffix.empty()) continue;
    c->Add(t, "levels-and-wal-paranoid", DbImage(kFixMode | kParanoid, crashed.get()));
    // Recovered: the WAL flushed to a new L0 table, a new MANIFEST and WAL.
    o.file_system = crashed;
    Check(DB::Open(o, "/db", &db), "reopen");
    db.reset();
    c->Add(t, "recovered", DbImage(kFixMode, crashed.get()));
  }
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus <output dir>\n");
    return 2;
  }
  strata::Corpus corpus{std::filesystem::path(argv[1])};
  strata::AddBlockSeeds(&corpus);
  strata::AddTableSeeds(&corpus);
  strata::AddLogSeeds(&corpus);
  strata::AddBloomSeeds(&corpus);
  strata::AddDbApiSeeds(&corpus);
  strata::AddDbOpenSeeds(&corpus);
  std::printf("make_corpus: %zu files, %zu bytes\n", corpus.files(), corpus.total());
  return 0;
}
