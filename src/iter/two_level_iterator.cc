#include "iter/two_level_iterator.h"

#include <cassert>
#include <string>
#include <utility>

namespace strata {
namespace {

class TwoLevelIterator final : public InternalIterator {
 public:
  TwoLevelIterator(std::unique_ptr<InternalIterator> index_iter, BlockFunction block_function)
      : index_iter_(std::move(index_iter)), block_function_(std::move(block_function)) {}

  bool Valid() const override { return valid_; }
  std::string_view key() const override {
    assert(Valid());
    return data_iter_->key();
  }
  std::string_view value() const override {
    assert(Valid());
    return data_iter_->value();
  }
  Status status() const override { return status_; }

  void Seek(std::string_view target) override {
    if (!status_.ok()) return;
    index_iter_->Seek(target);
    OpenDataBlock();
    if (data_iter_ != nullptr) data_iter_->Seek(target);
    SkipEmptyDataBlocksForward();
    UpdateValid();
  }

  void SeekToFirst() override {
    if (!status_.ok()) return;
    index_iter_->SeekToFirst();
    OpenDataBlock();
    if (data_iter_ != nullptr) data_iter_->SeekToFirst();
    SkipEmptyDataBlocksForward();
    UpdateValid();
  }

  void SeekToLast() override {
    if (!status_.ok()) return;
    index_iter_->SeekToLast();
    OpenDataBlock();
    if (data_iter_ != nullptr) data_iter_->SeekToLast();
    SkipEmptyDataBlocksBackward();
    UpdateValid();
  }

  void Next() override {
    assert(Valid());
    data_iter_->Next();
    if (data_iter_->Valid()) return;  // the common case: still inside the block
    SkipEmptyDataBlocksForward();
    UpdateValid();
  }

  void Prev() override {
    assert(Valid());
    data_iter_->Prev();
    if (data_iter_->Valid()) return;
    SkipEmptyDataBlocksBackward();
    UpdateValid();
  }

 private:
  // Valid() is asked after every move; caching it saves a virtual call each time.
  void UpdateValid() { valid_ = data_iter_ != nullptr && data_iter_->Valid(); }

  // Records the first error and drops the position: nothing after an error is returned.
  void Fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
    data_iter_.reset();
    valid_ = false;
  }

  // Points data_iter_ at the block of the current index entry (null if the index is exhausted
  // or failed). Keeps the open block when the index entry names the same block again.
  void OpenDataBlock() {
    if (!index_iter_->Valid()) {
      if (!index_iter_->status().ok()) return Fail(index_iter_->status());
      data_iter_.reset();
      return;
    }
    const std::string_view handle = index_iter_->value();
    if (data_iter_ != nullptr && handle == data_block_handle_) return;
    data_iter_ = block_function_(handle);
    data_block_handle_.assign(handle.data(), handle.size());
  }

  // True if the data iterator is positioned; on an error, fails and returns true (to stop).
  bool PositionedOrFailed() {
    if (data_iter_ == nullptr) return !status_.ok();
    if (data_iter_->Valid()) return true;
    if (!data_iter_->status().ok()) {
      Fail(data_iter_->status());
      return true;
    }
    return false;
  }

  void SkipEmptyDataBlocksForward() {
    while (!PositionedOrFailed()) {
      if (!index_iter_->Valid()) {
        if (!index_iter_->status().ok()) Fail(index_iter_->status());
        data_iter_.reset();
        return;
      }
      index_iter_->Next();
      OpenDataBlock();
      if (data_iter_ != nullptr) data_iter_->SeekToFirst();
    }
  }

  void SkipEmptyDataBlocksBackward() {
    while (!PositionedOrFailed()) {
      if (!index_iter_->Valid()) {
        if (!index_iter_->status().ok()) Fail(index_iter_->status());
        data_iter_.reset();
        return;
      }
      index_iter_->Prev();
      OpenDataBlock();
      if (data_iter_ != nullptr) data_iter_->SeekToLast();
    }
  }

  std::unique_ptr<InternalIterator> index_iter_;
  BlockFunction block_function_;
  std::unique_ptr<InternalIterator> data_iter_;
  std::string data_block_handle_;  // index value that data_iter_ was opened from
  Status status_;
  bool valid_ = false;
};

}  // namespace

std::unique_ptr<InternalIterator> NewTwoLevelIterator(std::unique_ptr<InternalIterator> index_iter,
                                                      BlockFunction block_function) {
  return std::make_unique<TwoLevelIterator>(std::move(index_iter), std::move(block_function));
}

}  // namespace strata
