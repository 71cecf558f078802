// WriteBatchInternal: the parts of WriteBatch the engine needs and users do not.
//
// Serialized form (docs/format.md "WriteBatch"), also the payload of a WAL record:
//   batch  := fixed64 first_sequence | fixed32 count | record*
//   record := kTypeValue    varstring key varstring value
//           | kTypeDeletion varstring key
// The i-th record (from 0) gets sequence first_sequence + i.
#pragma once

#include <cstdint>
#include <string_view>

#include "db/dbformat.h"
#include "strata/write_batch.h"

namespace strata {

class MemTable;

class WriteBatchInternal {
 public:
  static constexpr size_t kHeaderSize = 12;

  static uint32_t Count(const WriteBatch* batch);
  static void SetCount(WriteBatch* batch, uint32_t n);
  static SequenceNumber Sequence(const WriteBatch* batch);
  static void SetSequence(WriteBatch* batch, SequenceNumber seq);

  static std::string_view Contents(const WriteBatch* batch) { return batch->rep_; }
  static size_t ByteSize(const WriteBatch* batch) { return batch->rep_.size(); }
  // Replaces the batch with serialized contents (from a WAL record). Corruption if too short to
  // hold a header; records are validated by Iterate / InsertInto.
  static Status SetContents(WriteBatch* batch, std::string_view contents);

  // Inserts every record into memtable with consecutive sequence numbers. Corruption if the batch
  // is malformed, its record count differs from its header or a record's sequence number would
  // exceed kMaxSequenceNumber (nothing is inserted then).
  static Status InsertInto(const WriteBatch* batch, MemTable* memtable);
  // The same without the validation pass. REQUIRES: the batch was built by WriteBatch's own
  // methods (the write path), not decoded from bytes.
  static void InsertTrusted(const WriteBatch* batch, MemTable* memtable);

  // Appends src's records to dst (dst's sequence is kept).
  static void Append(WriteBatch* dst, const WriteBatch* src);
};

}  // namespace strata
