// A two-level iterator: an index iterator whose values each name a block of entries, and a
// function that opens such a block as an iterator. The result iterates over the concatenation
// of the blocks, in index order. Tables use it over their index and data blocks; the DB's level
// iterator follows the same idea over a level's file list.
//
// Requirements: the blocks, taken in index order, hold increasing keys, and each index key is
// >= every key of its block and < every key of the next block (so Seek(target) can go to the
// first index entry >= target).
//
// Errors: the first non-ok status of the index iterator or of any block iterator (including one
// returned by block_function for a block that cannot be opened) makes this iterator !Valid()
// for good; status() returns that error. Blocks are never silently skipped.
//
// Thread safety: one thread at a time, like every InternalIterator.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "iter/internal_iterator.h"

namespace strata {

// Opens the block named by an index value. Returns an iterator (never null); an iterator with a
// non-ok status reports a block that could not be opened.
using BlockFunction =
    std::function<std::unique_ptr<InternalIterator>(std::string_view index_value)>;

std::unique_ptr<InternalIterator> NewTwoLevelIterator(std::unique_ptr<InternalIterator> index_iter,
                                                      BlockFunction block_function);

}  // namespace strata
