#include "compaction/compaction_iterator.h"

#include <algorithm>

#include "compaction/compaction.h"

namespace strata {

CompactionIterator::CompactionIterator(InternalIterator* input, const Comparator* user_comparator,
                                       const std::vector<SequenceNumber>* snapshots,
                                       Compaction* compaction)
    : input_(input), ucmp_(user_comparator), snapshots_(snapshots), compaction_(compaction) {}

void CompactionIterator::SeekToFirst() {
  has_current_user_key_ = false;
  input_->SeekToFirst();
  FindNextKept();
}

void CompactionIterator::Next() {
  input_->Next();
  FindNextKept();
}

Status CompactionIterator::status() const {
  if (!status_.ok()) return status_;
  return input_->status();
}

size_t CompactionIterator::StripeOf(SequenceNumber seq) const {
  return static_cast<size_t>(std::lower_bound(snapshots_->begin(), snapshots_->end(), seq) -
                             snapshots_->begin());
}

void CompactionIterator::FindNextKept() {
  valid_ = false;
  for (; input_->Valid(); input_->Next()) {
    num_input_++;
    if (!ParseInternalKey(input_->key(), &parsed_)) {
      status_ = Status::Corruption("compaction input holds a malformed internal key");
      return;
    }
    const size_t stripe = StripeOf(parsed_.sequence);
    const bool same_key =
        has_current_user_key_ && ucmp_->Compare(parsed_.user_key, current_user_key_) == 0;
    if (!same_key) {
      current_user_key_.assign(parsed_.user_key.data(), parsed_.user_key.size());
      has_current_user_key_ = true;
    } else if (stripe == last_stripe_) {
      num_dropped_++;  // shadowed by a newer version no snapshot separates it from
      continue;
    }
    last_stripe_ = stripe;
    if (parsed_.type == kTypeDeletion && stripe == 0 && compaction_ != nullptr &&
        compaction_->IsBaseLevelForKey(parsed_.user_key)) {
      num_dropped_++;  // hides nothing any reader could see; older versions follow it out
      continue;
    }
    valid_ = true;
    return;
  }
}

}  // namespace strata
