// strata/write_batch.h — a group of updates applied atomically.
//
// A WriteBatch collects Put and Delete operations; DB::Write applies all of them or none, and
// readers never observe part of a batch. Operations apply in the order they were added, so a
// later Put of the same key wins.
//
// Keys larger than kMaxKeySize or values larger than kMaxValueSize are recorded as an error of
// the batch: DB::Write then fails with InvalidArgument and applies nothing.
//
// Thread safety: const methods may be called concurrently; anything else needs outside locking.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

class WriteBatch {
 public:
  // Receives the operations of a batch, in order, from Iterate().
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  ~WriteBatch() = default;

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Removes every operation (and any recorded error).
  void Clear();
  // Number of operations.
  uint32_t Count() const;
  // Bytes of the batch's serialized form; a good estimate of the WAL bytes it costs.
  size_t ApproximateSize() const { return rep_.size(); }
  // Appends the operations of source to this batch.
  void Append(const WriteBatch& source);
  // Calls handler for each operation, in order. Corruption if the batch is malformed.
  Status Iterate(Handler* handler) const;
  // Ok, or InvalidArgument naming the first key or value over the size limits.
  const Status& status() const { return status_; }

 private:
  friend class WriteBatchInternal;

  // Serialized form (docs/format.md "WriteBatch"): fixed64 sequence | fixed32 count | records.
  std::string rep_;
  Status status_;
};

}  // namespace strata
