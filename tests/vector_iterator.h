// An InternalIterator over a sorted vector of (key, value) pairs, for tests of iterator
// combinators. Can be told to fail with a status at a given position.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "iter/internal_iterator.h"
#include "strata/comparator.h"

namespace strata::test {

class VectorIterator final : public InternalIterator {
 public:
  // entries must be sorted by cmp.
  VectorIterator(const Comparator* cmp, std::vector<std::pair<std::string, std::string>> entries)
      : cmp_(cmp), entries_(std::move(entries)) {}

  bool Valid() const override { return status_.ok() && pos_ < entries_.size(); }
  void SeekToFirst() override { Move(0); }
  void SeekToLast() override { Move(entries_.empty() ? 0 : entries_.size() - 1); }
  void Seek(std::string_view target) override {
    size_t i = 0;
    while (i < entries_.size() && cmp_->Compare(entries_[i].first, target) < 0) i++;
    Move(i);
  }
  void Next() override { Move(pos_ + 1); }
  void Prev() override { Move(pos_ == 0 ? entries_.size() : pos_ - 1); }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

  // The iterator fails when it moves onto position `index`.
  void FailAt(size_t index, Status s) {
    fail_index_ = index;
    fail_status_ = std::move(s);
  }

 private:
  void Move(size_t i) {
    pos_ = i;
    if (pos_ == fail_index_ && pos_ < entries_.size()) status_ = fail_status_;
  }

  const Comparator* cmp_;
  std::vector<std::pair<std::string, std::string>> entries_;
  size_t pos_ = 0;
  size_t fail_index_ = SIZE_MAX;
  Status fail_status_;
  Status status_;
};

}  // namespace strata::test
