// write_batch_fuzzer: decoding a serialized WriteBatch (a WAL record's payload) with
// WriteBatchInternal::SetContents, WriteBatch::Iterate and WriteBatchInternal::InsertInto.
//
// Input: the batch's bytes (fixed64 sequence | fixed32 count | records), as a WAL record holds
// them.
//
// Invariants: SetContents accepts exactly the inputs that hold a header; Iterate either fails
// with Corruption before calling the handler, or reports Count() operations; InsertInto fails
// exactly when Iterate does or when the batch's sequence numbers do not fit (and then inserts
// nothing); a decoded batch re-encoded with Put/Delete decodes to the same operations, and
// re-encoding is canonical; Append doubles the operations; the memtable filled by InsertInto
// iterates as the sorted model of (key, sequence, type) -> value and answers Get at every
// sequence of the batch like the model.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "db/write_batch_internal.h"
#include "fuzz_util.h"
#include "memtable/memtable.h"
#include "model_check.h"
#include "strata/write_batch.h"
#include "util/checksum.h"

namespace strata::fuzz {

// Records the operations a batch reports; a delete has no value.
class BatchRecorder final : public WriteBatch::Handler {
 public:
  using Op = std::pair<std::string, std::optional<std::string>>;
  void Put(std::string_view key, std::string_view value) override {
    ops.emplace_back(std::string(key), std::string(value));
  }
  void Delete(std::string_view key) override { ops.emplace_back(std::string(key), std::nullopt); }
  std::vector<Op> ops;
};

inline WriteBatch EncodeBatch(const std::vector<BatchRecorder::Op>& ops, SequenceNumber seq) {
  WriteBatch batch;
  for (const auto& [key, value] : ops) {
    if (value) {
      batch.Put(key, *value);
    } else {
      batch.Delete(key);
    }
  }
  WriteBatchInternal::SetSequence(&batch, seq);
  return batch;
}

inline void RunWriteBatchTarget(std::string_view input) {
  WriteBatch batch;
  const Status set = WriteBatchInternal::SetContents(&batch, input);
  if (input.size() < WriteBatchInternal::kHeaderSize) {
    FUZZ_CHECK(set.IsCorruption());
    return;
  }
  FUZZ_CHECK(set.ok());
  FUZZ_CHECK(WriteBatchInternal::Contents(&batch) == input);
  const SequenceNumber seq = WriteBatchInternal::Sequence(&batch);

  static const InternalKeyComparator icmp(BytewiseComparator());
  BatchRecorder recorder;
  const Status iterated = batch.Iterate(&recorder);
  if (!iterated.ok()) {
    FUZZ_CHECK_MSG(iterated.IsCorruption(), iterated.ToString());
    FUZZ_CHECK_MSG(recorder.ops.empty(), "the handler saw part of a malformed batch");
    MemTable mem(icmp);
    FUZZ_CHECK(WriteBatchInternal::InsertInto(&batch, &mem).IsCorruption());
    FUZZ_CHECK(mem.NumEntries() == 0);
    return;
  }
  const std::vector<BatchRecorder::Op>& ops = recorder.ops;
  FUZZ_CHECK(ops.size() == batch.Count());

  // Re-encoding: same operations, no more bytes (lengths may have had overlong varints), and
  // canonical (encoding the decoded re-encoding gives the same bytes).
  const WriteBatch rebuilt = EncodeBatch(ops, seq);
  if (rebuilt.status().ok()) {
    BatchRecorder again;
    FUZZ_CHECK(rebuilt.Iterate(&again).ok());
    FUZZ_CHECK(again.ops == ops);
    FUZZ_CHECK(WriteBatchInternal::ByteSize(&rebuilt) <= input.size());
    const WriteBatch twice = EncodeBatch(again.ops, seq);
    FUZZ_CHECK(WriteBatchInternal::Contents(&twice) == WriteBatchInternal::Contents(&rebuilt));
  }

  // Append: the operations twice, the sequence of the destination.
  WriteBatch doubled = batch;
  doubled.Append(batch);
  BatchRecorder both;
  FUZZ_CHECK(doubled.Iterate(&both).ok());
  FUZZ_CHECK(both.ops.size() == 2 * ops.size());
  FUZZ_CHECK(std::equal(ops.begin(), ops.end(), both.ops.begin()) &&
             std::equal(ops.begin(), ops.end(), both.ops.begin() + ops.size()));
  FUZZ_CHECK(WriteBatchInternal::Sequence(&doubled) == seq);

  // Into a memtable. Record i gets sequence seq + i, which must fit in 56 bits.
  MemTable mem(icmp);
  const Status inserted = WriteBatchInternal::InsertInto(&batch, &mem);
  const bool fits =
      ops.empty() || (seq <= kMaxSequenceNumber && ops.size() - 1 <= kMaxSequenceNumber - seq);
  if (!fits) {
    FUZZ_CHECK_MSG(inserted.IsCorruption(), "sequence " + std::to_string(seq) + " + " +
                                                std::to_string(ops.size()) +
                                                " records: " + inserted.ToString());
    FUZZ_CHECK(mem.NumEntries() == 0);
    return;
  }
  FUZZ_CHECK_MSG(inserted.ok(), inserted.ToString());
  FUZZ_CHECK(mem.NumEntries() == ops.size());
  size_t deletes = 0;
  KVVector model;
  for (size_t i = 0; i < ops.size(); i++) {
    const auto& [key, value] = ops[i];
    if (!value) deletes++;
    std::string ikey;
    AppendInternalKey(&ikey, ParsedInternalKey(key, seq + i, value ? kTypeValue : kTypeDeletion));
    model.emplace_back(std::move(ikey), value.value_or(""));
  }
  FUZZ_CHECK(mem.NumDeletes() == deletes);
  std::sort(model.begin(), model.end(),
            [](const auto& a, const auto& b) { return icmp.Compare(a.first, b.first) < 0; });
  std::unique_ptr<InternalIterator> it = mem.NewIterator();
  const std::vector<std::string> targets = MakeSeekTargets(model, /*internal=*/true, seq, 16);
  CheckIteratorMatchesModel(it.get(), model, &icmp, targets, Hash64(input), 100);

  // Get of every key as of each record's sequence (a bounded number of them).
  std::map<std::string, std::optional<std::string>> state;
  for (size_t i = 0; i < ops.size() && i < 64; i++) {
    state[ops[i].first] = ops[i].second;
    for (const auto& [key, expected] : state) {
      const LookupKey lookup(key, seq + i);
      std::string value;
      Status s;
      FUZZ_CHECK(mem.Get(lookup, &value, &s));
      if (expected) {
        FUZZ_CHECK(s.ok() && value == *expected);
      } else {
        FUZZ_CHECK(s.IsNotFound());
      }
    }
  }
}

}  // namespace strata::fuzz
