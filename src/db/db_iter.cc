#include "db/db_iter.h"

#include <string>

#include "util/bytewise.h"

namespace strata {
namespace {

class DBIter final : public Iterator {
 public:
  DBIter(const Comparator* ucmp, std::unique_ptr<InternalIterator> iter, SequenceNumber sequence,
         std::shared_ptr<void> keep_alive)
      : keep_alive_(std::move(keep_alive)),
        ucmp_(ucmp),
        bytewise_(ucmp == BytewiseComparator()),
        iter_(std::move(iter)),
        sequence_(sequence) {}

  bool Valid() const override { return valid_; }

  // Forward: iter_ is on the current entry. Reverse: iter_ is before every entry of the current
  // key, which is held in saved_key_ / saved_value_.
  std::string_view key() const override {
    return direction_ == Direction::kForward ? ExtractUserKey(iter_->key())
                                             : std::string_view(saved_key_);
  }
  std::string_view value() const override {
    return direction_ == Direction::kForward ? iter_->value() : std::string_view(saved_value_);
  }
  Status status() const override { return status_.ok() ? iter_->status() : status_; }

  void SeekToFirst() override {
    direction_ = Direction::kForward;
    iter_->SeekToFirst();
    FindNextUserEntry(false);
  }

  void SeekToLast() override {
    direction_ = Direction::kReverse;
    iter_->SeekToLast();
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    direction_ = Direction::kForward;
    saved_key_.clear();
    AppendInternalKey(&saved_key_, ParsedInternalKey(target, sequence_, kValueTypeForSeek));
    iter_->Seek(saved_key_);
    FindNextUserEntry(false);
  }

  void Next() override {
    if (direction_ == Direction::kReverse) {
      // iter_ is just before the current key's entries: step onto them, then past them.
      direction_ = Direction::kForward;
      if (iter_->Valid()) {
        iter_->Next();
      } else {
        iter_->SeekToFirst();
      }
    } else {
      const std::string_view user_key = ExtractUserKey(iter_->key());
      saved_key_.assign(user_key.data(), user_key.size());
      iter_->Next();
    }
    FindNextUserEntry(true);
  }

  void Prev() override {
    if (direction_ == Direction::kForward) {
      // Move iter_ before every entry of the current key.
      const std::string_view user_key = ExtractUserKey(iter_->key());
      saved_key_.assign(user_key.data(), user_key.size());
      while (true) {
        iter_->Prev();
        if (!iter_->Valid()) {
          valid_ = false;
          saved_key_.clear();
          saved_value_.clear();
          return;
        }
        if (CompareUser(ExtractUserKey(iter_->key()), saved_key_) < 0) break;
      }
      direction_ = Direction::kReverse;
    }
    FindPrevUserEntry();
  }

 private:
  enum class Direction { kForward, kReverse };

  int CompareUser(std::string_view a, std::string_view b) const {
    return bytewise_ ? BytewiseCompare(a, b) : ucmp_->Compare(a, b);
  }

  bool ParseCurrent(ParsedInternalKey* ikey) {
    if (ParseInternalKey(iter_->key(), ikey)) return true;
    status_ = Status::Corruption("iterator met a malformed internal key");
    valid_ = false;
    return false;
  }

  // Moves forward to the first visible, live entry. With skipping, entries with user keys <=
  // saved_key_ are hidden (they are older versions of a key already returned or deleted).
  void FindNextUserEntry(bool skipping) {
    for (; iter_->Valid(); iter_->Next()) {
      ParsedInternalKey ikey;
      if (!ParseCurrent(&ikey)) return;
      if (ikey.sequence > sequence_) continue;  // newer than this view
      if (ikey.type == kTypeDeletion) {
        saved_key_.assign(ikey.user_key.data(), ikey.user_key.size());
        skipping = true;
      } else if (!skipping || CompareUser(ikey.user_key, saved_key_) > 0) {
        valid_ = true;
        return;
      }
    }
    valid_ = false;
  }

  // Moves backward collecting the newest visible version of the key before iter_; leaves iter_
  // before all of that key's entries.
  void FindPrevUserEntry() {
    ValueType value_type = kTypeDeletion;
    for (; iter_->Valid(); iter_->Prev()) {
      ParsedInternalKey ikey;
      if (!ParseCurrent(&ikey)) return;
      if (ikey.sequence > sequence_) continue;
      if (value_type != kTypeDeletion && CompareUser(ikey.user_key, saved_key_) < 0) {
        break;  // passed to an earlier key: saved_key_ holds a live value
      }
      value_type = ikey.type;
      if (value_type == kTypeDeletion) {
        saved_key_.clear();
        saved_value_.clear();
      } else {
        saved_key_.assign(ikey.user_key.data(), ikey.user_key.size());
        const std::string_view v = iter_->value();
        saved_value_.assign(v.data(), v.size());
      }
    }
    // An error cut the collection short: a newer version (or a deletion) of saved_key_ may not
    // have been seen, so what was collected must not be returned.
    if (!iter_->Valid() && !iter_->status().ok()) {
      valid_ = false;
      saved_key_.clear();
      saved_value_.clear();
      return;
    }
    if (value_type == kTypeDeletion) {
      valid_ = false;
      saved_key_.clear();
      saved_value_.clear();
      direction_ = Direction::kForward;
    } else {
      valid_ = true;
    }
  }

  // Declared first so that it is destroyed last, after iter_ which reads what it keeps alive.
  std::shared_ptr<void> keep_alive_;
  const Comparator* const ucmp_;
  const bool bytewise_;  // compare user keys inline
  std::unique_ptr<InternalIterator> iter_;
  const SequenceNumber sequence_;
  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  std::string saved_key_;
  std::string saved_value_;
  Status status_;
};

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::shared_ptr<void> keep_alive) {
  return std::make_unique<DBIter>(user_comparator, std::move(internal), sequence,
                                  std::move(keep_alive));
}

}  // namespace strata
