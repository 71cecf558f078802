#include "stress/lock_table.h"

#include <algorithm>

namespace strata::stress {

LockTable::Guard LockTable::LockKey(uint64_t key) {
  Guard g;
  g.locks_.emplace_back(mutexes_[StripeOf(key)]);
  return g;
}

LockTable::Guard LockTable::LockKeys(std::span<const uint64_t> keys) {
  std::vector<size_t> stripes;
  stripes.reserve(keys.size());
  for (const uint64_t k : keys) stripes.push_back(StripeOf(k));
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  Guard g;
  g.locks_.reserve(stripes.size());
  for (const size_t s : stripes) g.locks_.emplace_back(mutexes_[s]);
  return g;
}

}  // namespace strata::stress
