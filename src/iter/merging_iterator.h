// A merging iterator: the union of several sorted InternalIterators, in comparator order.
//
// Entries that compare equal across children are all yielded (children earlier in the list
// first); the DB iterator and compaction decide what to hide. Forward and backward iteration
// and direction changes are supported. The first child error stops the iterator: it becomes
// !Valid() with that status.
//
// Thread safety: one thread at a time.
#pragma once

#include <memory>
#include <vector>

#include "iter/internal_iterator.h"
#include "strata/comparator.h"

namespace strata {

// comparator must outlive the iterator.
std::unique_ptr<InternalIterator> NewMergingIterator(
    const Comparator* comparator, std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace strata
