#include "strata/write_batch.h"

#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "strata/options.h"
#include "testutil.h"

namespace strata {
namespace {

// Renders a batch through Iterate: "Put(k, v)Delete(k)...".
class Recorder : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    out += "Put(" + std::string(key) + ", " + std::string(value) + ")";
  }
  void Delete(std::string_view key) override { out += "Delete(" + std::string(key) + ")"; }
  std::string out;
};

std::string Render(const WriteBatch& b) {
  Recorder r;
  const Status s = b.Iterate(&r);
  return s.ok() ? r.out : "ERROR: " + s.ToString();
}

TEST(WriteBatchTest, Empty) {
  WriteBatch batch;
  EXPECT_EQ("", Render(batch));
  EXPECT_EQ(0u, batch.Count());
  EXPECT_EQ(WriteBatchInternal::kHeaderSize, batch.ApproximateSize());
}

TEST(WriteBatchTest, RecordsInOrder) {
  WriteBatch batch;
  batch.Put("foo", "bar");
  batch.Delete("box");
  batch.Put("baz", "boo");
  WriteBatchInternal::SetSequence(&batch, 100);
  EXPECT_EQ(100u, WriteBatchInternal::Sequence(&batch));
  EXPECT_EQ(3u, batch.Count());
  EXPECT_EQ("Put(foo, bar)Delete(box)Put(baz, boo)", Render(batch));
}

TEST(WriteBatchTest, AppendKeepsDestinationSequence) {
  WriteBatch b1, b2;
  WriteBatchInternal::SetSequence(&b1, 200);
  WriteBatchInternal::SetSequence(&b2, 300);
  b1.Append(b2);
  EXPECT_EQ("", Render(b1));
  b2.Put("a", "va");
  b1.Append(b2);
  EXPECT_EQ("Put(a, va)", Render(b1));
  b2.Clear();
  b2.Put("b", "vb");
  b2.Delete("a");
  b1.Append(b2);
  EXPECT_EQ("Put(a, va)Put(b, vb)Delete(a)", Render(b1));
  EXPECT_EQ(3u, b1.Count());
  EXPECT_EQ(200u, WriteBatchInternal::Sequence(&b1));
}

TEST(WriteBatchTest, OversizedEntriesAreRecordedAsError) {
  WriteBatch batch;
  batch.Put("ok", "v");
  batch.Put(std::string(kMaxKeySize + 1, 'k'), "v");
  EXPECT_TRUE(batch.status().IsInvalidArgument());
  EXPECT_EQ(1u, batch.Count());  // the oversized entry was not added
  WriteBatch other;
  other.Append(batch);
  EXPECT_TRUE(other.status().IsInvalidArgument());  // the error travels with Append
  batch.Clear();
  EXPECT_OK(batch.status());
}

TEST(WriteBatchTest, InsertIntoMemTableAssignsConsecutiveSequences) {
  InternalKeyComparator icmp(BytewiseComparator());
  MemTable mem(icmp);
  WriteBatch batch;
  batch.Put("k", "v1");
  batch.Put("k", "v2");
  batch.Delete("j");
  WriteBatchInternal::SetSequence(&batch, 10);
  ASSERT_OK(WriteBatchInternal::InsertInto(&batch, &mem));
  std::string value;
  Status s;
  ASSERT_TRUE(mem.Get(LookupKey("k", 10), &value, &s));
  EXPECT_EQ("v1", value);
  ASSERT_TRUE(mem.Get(LookupKey("k", 11), &value, &s));
  EXPECT_EQ("v2", value);
  ASSERT_TRUE(mem.Get(LookupKey("j", 12), &value, &s));
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_FALSE(mem.Get(LookupKey("j", 11), &value, &s));
}

TEST(WriteBatchTest, MalformedContentsAreCorruptionAtEveryTruncation) {
  WriteBatch batch;
  batch.Put("key1", "value1");
  batch.Delete("key2");
  const std::string contents(WriteBatchInternal::Contents(&batch));
  for (size_t len = 0; len < contents.size(); len++) {
    WriteBatch damaged;
    const Status set = WriteBatchInternal::SetContents(&damaged, contents.substr(0, len));
    if (len < WriteBatchInternal::kHeaderSize) {
      EXPECT_TRUE(set.IsCorruption()) << len;
      continue;
    }
    ASSERT_OK(set);
    Recorder r;
    EXPECT_TRUE(damaged.Iterate(&r).IsCorruption()) << len;
    EXPECT_EQ("", r.out) << "the handler saw part of a malformed batch";
    InternalKeyComparator icmp(BytewiseComparator());
    MemTable mem(icmp);
    EXPECT_TRUE(WriteBatchInternal::InsertInto(&damaged, &mem).IsCorruption()) << len;
    EXPECT_EQ(0u, mem.NumEntries()) << "nothing of a malformed batch is applied";
  }
  // An unknown record type.
  std::string bad = contents;
  bad[WriteBatchInternal::kHeaderSize] = 0x7f;
  WriteBatch damaged;
  ASSERT_OK(WriteBatchInternal::SetContents(&damaged, bad));
  EXPECT_TRUE(Render(damaged).find("unknown record type") != std::string::npos);
}

}  // namespace
}  // namespace strata
