// InternalIterator: the one iterator interface shared by memtable, block, table, merging, level
// and two-level iterators. Keys are internal keys (src/db/dbformat.h) unless an iterator's own
// comment says otherwise (index blocks yield separator keys; the block iterator yields whatever
// its builder was given).
//
// Rules, the same for every implementation:
//  - A new iterator is !Valid(). Seek/SeekToFirst/SeekToLast position it; Next/Prev REQUIRE
//    Valid().
//  - Seek(target) positions at the first entry >= target in the iterator's order.
//  - key()/value() REQUIRE Valid(); the views stay valid until the iterator moves or dies, unless
//    IsKeyPinned()/IsValuePinned() promise more (then they live as long as the iterator).
//  - An error (corruption, I/O) makes the iterator !Valid() and status() non-ok. Once non-ok,
//    status() stays non-ok; callers check status() whenever Valid() turns false.
//  - Not thread-safe; one thread at a time.
#pragma once

#include <memory>
#include <string_view>

#include "strata/status.h"

namespace strata {

class InternalIterator {
 public:
  InternalIterator() = default;
  InternalIterator(const InternalIterator&) = delete;
  InternalIterator& operator=(const InternalIterator&) = delete;
  virtual ~InternalIterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual void Seek(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;

  // True if key() stays valid for the life of the iterator (e.g. memtable keys in the arena).
  virtual bool IsKeyPinned() const { return false; }
};

// An iterator over nothing, with the given status (ok: simply empty).
std::unique_ptr<InternalIterator> NewEmptyIterator(Status status = Status::OK());

}  // namespace strata
