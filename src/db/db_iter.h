// DBIter: the user-visible Iterator. It turns a merged stream of internal entries (all versions
// of every key, newest first per key) into the view as of one sequence number: per user key the
// newest version at or below it, with deleted keys left out.
#pragma once

#include <memory>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "strata/iterator.h"

namespace strata {

// `keep_alive` owns whatever the internal iterator reads (memtables, a Version); it is released
// after the internal iterator is destroyed.
std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::shared_ptr<void> keep_alive);

}  // namespace strata
