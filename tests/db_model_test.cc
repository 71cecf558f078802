// Model-based property test: random sequences of operations on a DB are checked against a
// std::map model (rapidcheck state machine). Tiny write buffers and level sizes make flushes and
// compactions frequent; snapshots, reopens and explicit flush/compaction are operations too.
// A failure shrinks to a minimal sequence of operations, printed by rapidcheck.

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/db.h"
#include "testutil.h"

namespace strata {
namespace {

using KV = std::map<std::string, std::string>;

struct Model {
  KV data;
  std::vector<KV> snapshots;  // the state each live snapshot captured, in creation order
};

struct Sut {
  std::shared_ptr<FileSystem> fs = NewMemFileSystem();
  Options options;
  std::unique_ptr<DB> db;
  std::vector<const Snapshot*> snapshots;

  Sut() {
    options.create_if_missing = true;
    options.file_system = fs;
    options.write_buffer_size = 2048;
    options.max_bytes_for_level_base = 8192;
    options.target_file_size_base = 2048;
    options.level0_file_num_compaction_trigger = 2;
    options.level0_slowdown_writes_trigger = 4;
    options.level0_stop_writes_trigger = 8;
    options.block_size = 256;
    options.block_cache_size = 16 * 1024;
    const Status s = DB::Open(options, "/model", &db);
    RC_ASSERT(s.ok());
  }
  ~Sut() {
    for (const Snapshot* snap : snapshots) db->ReleaseSnapshot(snap);
  }
};

using Command = rc::state::Command<Model, Sut>;

// Keys from a small set, so that operations collide, plus occasional random ones.
rc::Gen<std::string> GenKey() {
  return rc::gen::weightedOneOf<std::string>(
      {{8, rc::gen::map(rc::gen::inRange(0, 24),
                        [](int i) { return "key" + std::to_string(i); })},
       {1, rc::gen::container<std::string>(rc::gen::inRange<char>(0, 127))}});
}

rc::Gen<std::string> GenValue() {
  return rc::gen::weightedOneOf<std::string>(
      {{6, rc::gen::container<std::string>(rc::gen::inRange<char>('a', 'z' + 1))},
       {1, rc::gen::map(rc::gen::inRange(0, 600),
                        [](int n) { return std::string(static_cast<size_t>(n), 'v'); })}});
}

template <typename T>
rc::Gen<std::optional<T>> GenOptional(rc::Gen<T> gen) {
  return rc::gen::map(rc::gen::maybe(std::move(gen)), [](rc::Maybe<T> m) {
    return m ? std::optional<T>(std::move(*m)) : std::nullopt;
  });
}

std::string ScanForward(DB* db, const Snapshot* snapshot) {
  ReadOptions ro;
  ro.snapshot = snapshot;
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.append(it->key()).append("=").append(it->value()).append(";");
  }
  RC_ASSERT(it->status().ok());
  return out;
}

std::string ScanBackward(DB* db, const Snapshot* snapshot) {
  ReadOptions ro;
  ro.snapshot = snapshot;
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  std::vector<std::string> entries;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    entries.push_back(std::string(it->key()) + "=" + std::string(it->value()) + ";");
  }
  RC_ASSERT(it->status().ok());
  std::string out;
  for (auto e = entries.rbegin(); e != entries.rend(); ++e) out += *e;
  return out;
}

std::string Expected(const KV& kv) {
  std::string out;
  for (const auto& [k, v] : kv) out.append(k).append("=").append(v).append(";");
  return out;
}

void CheckGet(DB* db, const Snapshot* snapshot, const KV& kv, const std::string& key) {
  ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  const Status s = db->Get(ro, key, &value);
  const auto it = kv.find(key);
  if (it == kv.end()) {
    RC_ASSERT(s.IsNotFound());
  } else {
    RC_ASSERT(s.ok());
    RC_ASSERT(value == it->second);
  }
}

struct Put : Command {
  std::string key = *GenKey();
  std::string value = *GenValue();
  void apply(Model& m) const override { m.data[key] = value; }
  void run(const Model&, Sut& sut) const override {
    RC_ASSERT(sut.db->Put(WriteOptions(), key, value).ok());
  }
  void show(std::ostream& os) const override { os << "Put(" << key << ", " << value.size() << "B)"; }
};

struct Delete : Command {
  std::string key = *GenKey();
  void apply(Model& m) const override { m.data.erase(key); }
  void run(const Model&, Sut& sut) const override {
    RC_ASSERT(sut.db->Delete(WriteOptions(), key).ok());
  }
  void show(std::ostream& os) const override { os << "Delete(" << key << ")"; }
};

struct Batch : Command {
  // (key, value) with no value meaning a delete.
  std::vector<std::pair<std::string, std::optional<std::string>>> ops =
      *rc::gen::container<std::vector<std::pair<std::string, std::optional<std::string>>>>(
          rc::gen::pair(GenKey(), GenOptional(GenValue())));
  void apply(Model& m) const override {
    for (const auto& [k, v] : ops) {
      if (v) {
        m.data[k] = *v;
      } else {
        m.data.erase(k);
      }
    }
  }
  void run(const Model&, Sut& sut) const override {
    WriteBatch batch;
    for (const auto& [k, v] : ops) {
      if (v) {
        batch.Put(k, *v);
      } else {
        batch.Delete(k);
      }
    }
    RC_ASSERT(sut.db->Write(WriteOptions(), &batch).ok());
  }
  void show(std::ostream& os) const override { os << "Batch(" << ops.size() << " ops)"; }
};

struct Get : Command {
  std::string key = *GenKey();
  void run(const Model& m, Sut& sut) const override { CheckGet(sut.db.get(), nullptr, m.data, key); }
  void show(std::ostream& os) const override { os << "Get(" << key << ")"; }
};

struct Scan : Command {
  void run(const Model& m, Sut& sut) const override {
    RC_ASSERT(ScanForward(sut.db.get(), nullptr) == Expected(m.data));
    RC_ASSERT(ScanBackward(sut.db.get(), nullptr) == Expected(m.data));
  }
  void show(std::ostream& os) const override { os << "Scan"; }
};

struct SeekAndStep : Command {
  std::string target = *GenKey();
  std::vector<bool> forward = *rc::gen::container<std::vector<bool>>(rc::gen::arbitrary<bool>());
  void run(const Model& m, Sut& sut) const override {
    std::unique_ptr<Iterator> it = sut.db->NewIterator(ReadOptions());
    it->Seek(target);
    auto expected = m.data.lower_bound(target);
    for (const bool fwd : forward) {
      if (expected == m.data.end()) {
        RC_ASSERT(!it->Valid());
        break;
      }
      RC_ASSERT(it->Valid());
      RC_ASSERT(it->key() == expected->first);
      RC_ASSERT(it->value() == expected->second);
      if (fwd) {
        it->Next();
        ++expected;
      } else {
        it->Prev();
        if (expected == m.data.begin()) {
          RC_ASSERT(!it->Valid());
          break;
        }
        --expected;
      }
    }
    RC_ASSERT(it->status().ok());
  }
  void show(std::ostream& os) const override {
    os << "SeekAndStep(" << target << ", " << forward.size() << " steps)";
  }
};

struct TakeSnapshot : Command {
  void apply(Model& m) const override { m.snapshots.push_back(m.data); }
  void run(const Model&, Sut& sut) const override {
    sut.snapshots.push_back(sut.db->GetSnapshot());
  }
  void show(std::ostream& os) const override { os << "TakeSnapshot"; }
};

struct ReadSnapshot : Command {
  size_t index = 0;
  std::string key = *GenKey();
  explicit ReadSnapshot(const Model& m) {
    RC_PRE(!m.snapshots.empty());
    index = *rc::gen::inRange<size_t>(0, m.snapshots.size());
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(index < m.snapshots.size()); }
  void run(const Model& m, Sut& sut) const override {
    const Snapshot* snap = sut.snapshots[index];
    CheckGet(sut.db.get(), snap, m.snapshots[index], key);
    RC_ASSERT(ScanForward(sut.db.get(), snap) == Expected(m.snapshots[index]));
  }
  void show(std::ostream& os) const override { os << "ReadSnapshot(" << index << ", " << key << ")"; }
};

struct ReleaseSnapshot : Command {
  size_t index = 0;
  explicit ReleaseSnapshot(const Model& m) {
    RC_PRE(!m.snapshots.empty());
    index = *rc::gen::inRange<size_t>(0, m.snapshots.size());
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(index < m.snapshots.size()); }
  void apply(Model& m) const override {
    m.snapshots.erase(m.snapshots.begin() + static_cast<ptrdiff_t>(index));
  }
  void run(const Model&, Sut& sut) const override {
    sut.db->ReleaseSnapshot(sut.snapshots[index]);
    sut.snapshots.erase(sut.snapshots.begin() + static_cast<ptrdiff_t>(index));
  }
  void show(std::ostream& os) const override { os << "ReleaseSnapshot(" << index << ")"; }
};

struct Flush : Command {
  void run(const Model&, Sut& sut) const override { RC_ASSERT(sut.db->Flush().ok()); }
  void show(std::ostream& os) const override { os << "Flush"; }
};

struct Compact : Command {
  std::optional<std::string> begin = *GenOptional(GenKey());
  std::optional<std::string> end = *GenOptional(GenKey());
  void run(const Model& m, Sut& sut) const override {
    const std::string_view b = begin ? std::string_view(*begin) : std::string_view();
    const std::string_view e = end ? std::string_view(*end) : std::string_view();
    RC_ASSERT(sut.db->CompactRange(begin ? &b : nullptr, end ? &e : nullptr).ok());
    RC_ASSERT(ScanForward(sut.db.get(), nullptr) == Expected(m.data));
  }
  void show(std::ostream& os) const override {
    os << "Compact(" << (begin ? *begin : "-inf") << ", " << (end ? *end : "+inf") << ")";
  }
};

struct Reopen : Command {
  // Snapshots do not survive a close.
  void apply(Model& m) const override { m.snapshots.clear(); }
  void run(const Model& m, Sut& sut) const override {
    for (const Snapshot* snap : sut.snapshots) sut.db->ReleaseSnapshot(snap);
    sut.snapshots.clear();
    sut.db.reset();
    RC_ASSERT(DB::Open(sut.options, "/model", &sut.db).ok());
    RC_ASSERT(ScanForward(sut.db.get(), nullptr) == Expected(m.data));
  }
  void show(std::ostream& os) const override { os << "Reopen"; }
};

TEST(DBModelTest, RandomOperationSequencesMatchStdMap) {
  const bool ok = rc::check("DB behaves like std::map", [] {
    Model model;
    Sut sut;
    rc::state::check(model, sut,
                     rc::state::gen::execOneOfWithArgs<Put, Put, Put, Delete, Batch, Get, Scan,
                                                       SeekAndStep, TakeSnapshot, ReadSnapshot,
                                                       ReleaseSnapshot, Flush, Compact, Reopen>());
  });
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace strata
