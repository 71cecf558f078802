#include "iter/merging_iterator.h"

#include <algorithm>

namespace strata {
namespace {

class MergingIterator final : public InternalIterator {
 public:
  MergingIterator(const Comparator* cmp, std::vector<std::unique_ptr<InternalIterator>> children)
      : cmp_(cmp), children_(std::move(children)) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return current_ != nullptr && status_.ok(); }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    Rebuild(Direction::kForward);
  }

  void SeekToLast() override {
    for (auto& child : children_) child->SeekToLast();
    Rebuild(Direction::kReverse);
  }

  void Seek(std::string_view target) override {
    for (auto& child : children_) child->Seek(target);
    Rebuild(Direction::kForward);
  }

  void Next() override {
    if (direction_ != Direction::kForward) SwitchToForward();
    current_->Next();
    if (current_->Valid()) {
      SiftDown(0);
    } else {
      if (!current_->status().ok()) return Fail(current_->status());
      PopTop();
    }
    current_ = heap_.empty() ? nullptr : heap_[0];
  }

  void Prev() override {
    if (direction_ != Direction::kReverse) SwitchToReverse();
    current_->Prev();
    if (current_->Valid()) {
      SiftDown(0);
    } else {
      if (!current_->status().ok()) return Fail(current_->status());
      PopTop();
    }
    current_ = heap_.empty() ? nullptr : heap_[0];
  }

  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }
  Status status() const override { return status_; }
  bool IsKeyPinned() const override { return current_ != nullptr && current_->IsKeyPinned(); }

 private:
  enum class Direction { kForward, kReverse };

  // True if a should be above b in the heap.
  bool Before(InternalIterator* a, InternalIterator* b) const {
    const int c = cmp_->Compare(a->key(), b->key());
    return direction_ == Direction::kForward ? c < 0 : c > 0;
  }

  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    InternalIterator* item = heap_[i];
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Before(heap_[child + 1], heap_[child])) child++;
      if (!Before(heap_[child], item)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = item;
  }

  void SiftUp(size_t i) {
    InternalIterator* item = heap_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!Before(item, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = item;
  }

  void PopTop() {
    heap_[0] = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(0);
  }

  // Builds the heap from every valid child; the first child error fails the iterator.
  void Rebuild(Direction direction) {
    direction_ = direction;
    heap_.clear();
    current_ = nullptr;
    for (auto& child : children_) {
      if (child->Valid()) {
        heap_.push_back(child.get());
        SiftUp(heap_.size() - 1);
      } else if (!child->status().ok()) {
        return Fail(child->status());
      }
    }
    if (!heap_.empty()) current_ = heap_[0];
  }

  // Moves every child other than current_ to the first entry after key(), then rebuilds.
  void SwitchToForward() {
    const std::string saved(current_->key());
    for (auto& child : children_) {
      if (child.get() == current_) continue;
      child->Seek(saved);
      if (child->Valid() && cmp_->Compare(saved, child->key()) == 0) child->Next();
    }
    RebuildKeepingCurrent(Direction::kForward);
  }

  // Moves every child other than current_ to the last entry before key(), then rebuilds.
  void SwitchToReverse() {
    const std::string saved(current_->key());
    for (auto& child : children_) {
      if (child.get() == current_) continue;
      child->Seek(saved);
      if (child->Valid()) {
        child->Prev();
      } else if (child->status().ok()) {
        child->SeekToLast();  // every entry of the child is < saved
      }
    }
    RebuildKeepingCurrent(Direction::kReverse);
  }

  void RebuildKeepingCurrent(Direction direction) {
    InternalIterator* keep = current_;
    Rebuild(direction);
    if (status_.ok() && current_ != keep) {
      // Ties with other children: keep the iterator positioned on the same child so the step
      // that follows moves off the entry the caller saw.
      for (size_t i = 0; i < heap_.size(); i++) {
        if (heap_[i] == keep && cmp_->Compare(keep->key(), heap_[0]->key()) == 0) {
          std::swap(heap_[0], heap_[i]);
          break;
        }
      }
      current_ = heap_.empty() ? nullptr : heap_[0];
    }
  }

  void Fail(const Status& s) {
    if (status_.ok()) status_ = s;
    current_ = nullptr;
    heap_.clear();
  }

  const Comparator* const cmp_;
  std::vector<std::unique_ptr<InternalIterator>> children_;
  std::vector<InternalIterator*> heap_;
  InternalIterator* current_ = nullptr;
  Direction direction_ = Direction::kForward;
  Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    const Comparator* comparator, std::vector<std::unique_ptr<InternalIterator>> children) {
  if (children.empty()) return NewEmptyIterator();
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(comparator, std::move(children));
}

}  // namespace strata
