// CompactionIterator: decides which entries of a sorted input survive a flush or compaction.
//
// For each user key the input holds versions newest first. Live snapshots s1 < s2 < ... split
// sequence numbers into stripes: (0, s1], (s1, s2], ..., (sn, inf). A reader at any snapshot sees
// the newest version at or below it, so within one stripe only the newest version can ever be
// read: the others are dropped. A deletion is dropped too when it is in the first stripe (no
// snapshot can see what it hides) and no deeper level can hold the key (it hides nothing).
//
// An input key that does not parse as an internal key is Corruption: output is never built from
// damaged input.
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"

namespace strata {

class Compaction;

class CompactionIterator {
 public:
  // snapshots: live snapshot sequence numbers, ascending. compaction: null for a memtable flush
  // (whose output lands above older data, so deletions must be kept). All pointers must outlive
  // the iterator.
  CompactionIterator(InternalIterator* input, const Comparator* user_comparator,
                     const std::vector<SequenceNumber>* snapshots, Compaction* compaction);

  void SeekToFirst();
  bool Valid() const { return valid_; }
  void Next();
  // The current entry (REQUIRES Valid()); valid until the next move.
  std::string_view key() const { return input_->key(); }
  std::string_view value() const { return input_->value(); }
  const ParsedInternalKey& parsed_key() const { return parsed_; }
  Status status() const;

  uint64_t num_input_entries() const { return num_input_; }
  uint64_t num_dropped() const { return num_dropped_; }

 private:
  // Advances the input to the next entry to keep (starting at the current one).
  void FindNextKept();
  size_t StripeOf(SequenceNumber seq) const;

  InternalIterator* const input_;
  const Comparator* const ucmp_;
  const std::vector<SequenceNumber>* const snapshots_;
  Compaction* const compaction_;

  bool valid_ = false;
  Status status_;
  ParsedInternalKey parsed_;
  std::string current_user_key_;
  bool has_current_user_key_ = false;
  size_t last_stripe_ = 0;  // stripe of the previous version of current_user_key_
  uint64_t num_input_ = 0;
  uint64_t num_dropped_ = 0;
};

}  // namespace strata
