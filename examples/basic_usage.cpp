// basic_usage: open a DB, write, read, delete, batch, iterate and use a snapshot.
//
//   basic_usage [path]     (default: /tmp/strata_basic_usage, removed first)

#include <strata/db.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

// Aborts with a message when a strata call fails: an example should not go on silently.
void Check(const strata::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "/tmp/strata_basic_usage";

  strata::Options options;
  options.create_if_missing = true;
  Check(strata::DestroyDB(path, options), "DestroyDB");

  std::unique_ptr<strata::DB> db;
  Check(strata::DB::Open(options, path, &db), "Open");

  // Single writes. sync=true makes this write survive power loss before Put returns.
  strata::WriteOptions durable;
  durable.sync = true;
  Check(db->Put(durable, "apple", "red"), "Put apple");
  Check(db->Put(strata::WriteOptions(), "banana", "yellow"), "Put banana");
  Check(db->Put(strata::WriteOptions(), "cherry", "dark red"), "Put cherry");

  std::string value;
  Check(db->Get(strata::ReadOptions(), "apple", &value), "Get apple");
  std::printf("apple  -> %s\n", value.c_str());

  Check(db->Delete(strata::WriteOptions(), "banana"), "Delete banana");
  const strata::Status missing = db->Get(strata::ReadOptions(), "banana", &value);
  std::printf("banana -> %s\n", missing.IsNotFound() ? "(not found)" : value.c_str());

  // A snapshot sees the DB as it was when taken, whatever happens afterwards.
  const strata::Snapshot* snapshot = db->GetSnapshot();

  // An atomic batch: readers see all of it or none of it.
  strata::WriteBatch batch;
  batch.Delete("apple");
  batch.Put("apricot", "orange");
  batch.Put("cherry", "black");
  Check(db->Write(strata::WriteOptions(), &batch), "Write batch");

  std::printf("now:\n");
  std::unique_ptr<strata::Iterator> it = db->NewIterator(strata::ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::printf("  %.*s = %.*s\n", static_cast<int>(it->key().size()), it->key().data(),
                static_cast<int>(it->value().size()), it->value().data());
  }
  Check(it->status(), "iteration");

  std::printf("as of the snapshot, backwards:\n");
  strata::ReadOptions at_snapshot;
  at_snapshot.snapshot = snapshot;
  it = db->NewIterator(at_snapshot);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    std::printf("  %.*s = %.*s\n", static_cast<int>(it->key().size()), it->key().data(),
                static_cast<int>(it->value().size()), it->value().data());
  }
  Check(it->status(), "iteration");
  it.reset();
  db->ReleaseSnapshot(snapshot);

  // Move the memtable into an SST and compact everything; data stays the same.
  Check(db->Flush(), "Flush");
  Check(db->CompactRange(nullptr, nullptr), "CompactRange");
  Check(db->Get(strata::ReadOptions(), "cherry", &value), "Get cherry");
  std::printf("cherry -> %s (after compaction)\n", value.c_str());

  std::string stats;
  if (db->GetProperty("strata.stats", &stats)) std::printf("%s", stats.c_str());

  // Closing is destroying. Reopen to show the data is durable.
  db.reset();
  Check(strata::DB::Open(options, path, &db), "reopen");
  Check(db->Get(strata::ReadOptions(), "apricot", &value), "Get apricot");
  std::printf("apricot -> %s (after reopen)\n", value.c_str());
  db.reset();
  Check(strata::DestroyDB(path, options), "DestroyDB");
  return 0;
}
