// strata/iterator.h — ordered traversal of a DB.
//
// An Iterator walks the keys of a DB in comparator order, forward or backward. It sees one
// consistent state: the snapshot given in ReadOptions, or else the state at its creation.
//
// Contract:
//  - A fresh iterator is not Valid(); position it with SeekToFirst/SeekToLast/Seek.
//  - key()/value()/Next()/Prev() REQUIRE Valid().
//  - The views returned by key() and value() stay valid until the iterator is moved or destroyed.
//  - If an error occurs (a checksum mismatch, an I/O error) the iterator becomes !Valid() and
//    status() returns the error; a non-ok status is never cleared by a later Seek.
//    !Valid() with status().ok() means the end of the range was reached.
//
// Thread safety: an Iterator is not safe for concurrent use; use one per thread. Destroy every
// iterator before the DB that created it.
#pragma once

#include <string_view>

#include "strata/status.h"

namespace strata {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace strata
