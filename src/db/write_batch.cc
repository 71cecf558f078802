#include "strata/write_batch.h"

#include "db/dbformat.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "strata/options.h"
#include "util/coding.h"

namespace strata {

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Clear() {
  rep_.assign(WriteBatchInternal::kHeaderSize, '\0');
  status_ = Status::OK();
}

uint32_t WriteBatch::Count() const { return WriteBatchInternal::Count(this); }

static Status CheckSizes(std::string_view key, std::string_view value) {
  if (key.size() > kMaxKeySize) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                   " bytes exceeds the limit of " + std::to_string(kMaxKeySize));
  }
  if (value.size() > kMaxValueSize) {
    return Status::InvalidArgument("value of " + std::to_string(value.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxValueSize));
  }
  return Status::OK();
}

void WriteBatch::Put(std::string_view key, std::string_view value) {
  if (Status s = CheckSizes(key, value); !s.ok()) {
    if (status_.ok()) status_ = std::move(s);
    return;
  }
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(kTypeValue));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  if (Status s = CheckSizes(key, {}); !s.ok()) {
    if (status_.ok()) status_ = std::move(s);
    return;
  }
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(kTypeDeletion));
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::Append(const WriteBatch& source) {
  WriteBatchInternal::Append(this, &source);
  if (status_.ok() && !source.status_.ok()) status_ = source.status_;
}

namespace {

// Walks the records of a serialized batch, validating each one.
template <typename Fn>
Status ForEachRecord(std::string_view rep, Fn&& fn) {
  if (rep.size() < WriteBatchInternal::kHeaderSize) {
    return Status::Corruption("write batch", "too small for its header");
  }
  const uint32_t expected = DecodeFixed32(rep.data() + 8);
  std::string_view input = rep.substr(WriteBatchInternal::kHeaderSize);
  uint32_t found = 0;
  while (!input.empty()) {
    const size_t offset = rep.size() - input.size();
    const auto tag = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
    std::string_view key, value;
    if (tag == kTypeValue) {
      if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
        return Status::Corruption("write batch", "bad Put record at offset " +
                                                     std::to_string(offset));
      }
    } else if (tag == kTypeDeletion) {
      if (!GetLengthPrefixed(&input, &key)) {
        return Status::Corruption("write batch", "bad Delete record at offset " +
                                                     std::to_string(offset));
      }
    } else {
      return Status::Corruption("write batch", "unknown record type " + std::to_string(tag) +
                                                   " at offset " + std::to_string(offset));
    }
    fn(static_cast<ValueType>(tag), key, value);
    found++;
  }
  if (found != expected) {
    return Status::Corruption("write batch", "header count " + std::to_string(expected) +
                                                 " but " + std::to_string(found) + " records");
  }
  return Status::OK();
}

}  // namespace

Status WriteBatch::Iterate(Handler* handler) const {
  // Validate fully first so that the handler never sees part of a malformed batch.
  Status s = ForEachRecord(rep_, [](ValueType, std::string_view, std::string_view) {});
  if (!s.ok()) return s;
  return ForEachRecord(rep_, [handler](ValueType type, std::string_view key,
                                       std::string_view value) {
    if (type == kTypeValue) {
      handler->Put(key, value);
    } else {
      handler->Delete(key);
    }
  });
}

uint32_t WriteBatchInternal::Count(const WriteBatch* batch) {
  return DecodeFixed32(batch->rep_.data() + 8);
}

void WriteBatchInternal::SetCount(WriteBatch* batch, uint32_t n) {
  EncodeFixed32(batch->rep_.data() + 8, n);
}

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch* batch) {
  return DecodeFixed64(batch->rep_.data());
}

void WriteBatchInternal::SetSequence(WriteBatch* batch, SequenceNumber seq) {
  EncodeFixed64(batch->rep_.data(), seq);
}

Status WriteBatchInternal::SetContents(WriteBatch* batch, std::string_view contents) {
  if (contents.size() < kHeaderSize) {
    return Status::Corruption("write batch", "too small for its header");
  }
  batch->rep_.assign(contents.data(), contents.size());
  batch->status_ = Status::OK();
  return Status::OK();
}

Status WriteBatchInternal::InsertInto(const WriteBatch* batch, MemTable* memtable) {
  Status s = ForEachRecord(batch->rep_, [](ValueType, std::string_view, std::string_view) {});
  if (!s.ok()) return s;
  SequenceNumber seq = Sequence(batch);
  // A batch read from a WAL may claim any sequence: every record's must fit in 56 bits.
  const uint32_t count = Count(batch);
  if (count > 0 && (seq > kMaxSequenceNumber || count - 1 > kMaxSequenceNumber - seq)) {
    return Status::Corruption("write batch", "sequence numbers " + std::to_string(seq) + " + " +
                                                 std::to_string(count) +
                                                 " records exceed the largest sequence number");
  }
  return ForEachRecord(batch->rep_, [&](ValueType type, std::string_view key,
                                        std::string_view value) {
    memtable->Add(seq++, type, key, value);
  });
}

void WriteBatchInternal::InsertTrusted(const WriteBatch* batch, MemTable* memtable) {
  SequenceNumber seq = Sequence(batch);
  ForEachRecord(batch->rep_, [&](ValueType type, std::string_view key, std::string_view value) {
    memtable->Add(seq++, type, key, value);
  }).PermitUncheckedError();  // well-formed by construction
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch* src) {
  SetCount(dst, Count(dst) + Count(src));
  dst->rep_.append(src->rep_.data() + kHeaderSize, src->rep_.size() - kHeaderSize);
}

}  // namespace strata
