#include "stress/read_check.h"

#include <algorithm>

#include "stress/key_value.h"
#include "stress/report.h"

namespace strata::stress {

bool ReadBounds::Allows(KeyState found) const {
  const uint64_t lo = lower.version();
  if (!found.exists()) return !lower.exists() || upper_version > lo;
  const uint64_t v = found.version();
  return (v == lo && lower.exists()) || (v > lo && v <= upper_version);
}

std::string ReadBounds::ToString() const {
  if (upper_version <= lower.version()) return "exactly " + lower.ToString();
  return lower.ToString() + " or a newer write up to v" + std::to_string(upper_version);
}

void CheckRead(uint64_t index, const ReadBounds& bounds, KeyState found, std::string_view context) {
  if (bounds.Allows(found)) return;
  FailVerification(std::string(context) + ": " + DescribeKey(index) + ": expected " +
                   bounds.ToString() + ", found " +
                   (found.exists() ? found.ToString() : std::string("absent")));
}

KeyState DecodeValue(uint64_t index, std::string_view value, std::string_view context) {
  uint64_t version = 0;
  std::string why;
  if (!ParseValue(index, value, &version, &why)) {
    FailVerification(std::string(context) + ": " + DescribeKey(index) + ": bad value (" + why +
                     "): " + Printable(value));
  }
  return KeyState::Put(version);
}

KeyState ReadKey(DB* db, const ReadOptions& ro, uint64_t index, std::string_view context) {
  std::string value;
  const Status s = db->Get(ro, KeyFor(index), &value);
  if (s.IsNotFound()) return KeyState();
  CheckOk(s, std::string(context) + ": Get " + KeyFor(index));
  return DecodeValue(index, value, context);
}

namespace {

// The index of the iterator's current key, which must belong to the key space.
uint64_t CurrentIndex(const Iterator& it, const ExpectedState& oracle, std::string_view context) {
  uint64_t index = 0;
  if (!ParseKey(it.key(), &index) || index >= oracle.num_keys()) {
    FailVerification(std::string(context) +
                     ": iterator returned a key outside the key space: " + Printable(it.key()));
  }
  return index;
}

void CheckIteratorStatus(const Iterator& it, std::string_view context) {
  if (!it.Valid()) CheckOk(it.status(), std::string(context) + ": iterator");
}

}  // namespace

std::vector<ScanEntry> WalkWindow(Iterator* it, Direction dir, uint64_t lo, uint64_t hi,
                                  const ExpectedState& oracle, std::string_view context) {
  std::vector<ScanEntry> entries;
  bool have_prev = false;
  uint64_t prev = 0;
  for (; it->Valid(); dir == Direction::kForward ? it->Next() : it->Prev()) {
    const uint64_t index = CurrentIndex(*it, oracle, context);
    if (have_prev && (dir == Direction::kForward ? index <= prev : index >= prev)) {
      FailVerification(std::string(context) + ": iterator order broken: " + DescribeKey(index) +
                       " after " + DescribeKey(prev) +
                       (dir == Direction::kForward ? " going forward" : " going backward"));
    }
    have_prev = true;
    prev = index;
    const KeyState found = DecodeValue(index, it->value(), context);
    if (found.version() > oracle.High(index)) {
      FailVerification(std::string(context) + ": " + DescribeKey(index) + ": iterator returned v" +
                       std::to_string(found.version()) + ", which was never written (highest v" +
                       std::to_string(oracle.High(index)) + ")");
    }
    if (index < lo || index >= hi) break;
    entries.push_back({index, found});
  }
  CheckIteratorStatus(*it, context);
  return entries;
}

void CheckWindow(uint64_t lo, const std::vector<ReadBounds>& bounds,
                 const std::vector<ScanEntry>& entries, std::string_view context) {
  // Entries are in walk order (either direction); look each window key up among them.
  std::vector<KeyState> found(bounds.size());
  for (const ScanEntry& e : entries) found[e.index - lo] = e.found;
  for (size_t i = 0; i < bounds.size(); i++) CheckRead(lo + i, bounds[i], found[i], context);
}

void CheckReverseWalk(Iterator* it, Direction dir, uint64_t lo, uint64_t hi,
                      const std::vector<ScanEntry>& entries, const ExpectedState& oracle,
                      std::string_view context) {
  const std::string ctx = std::string(context) + " (walking back)";
  Direction back;
  if (dir == Direction::kForward) {
    back = Direction::kBackward;
    it->Valid() ? it->Prev() : it->SeekToLast();
  } else {
    back = Direction::kForward;
    it->Valid() ? it->Next() : it->SeekToFirst();
  }
  std::vector<ScanEntry> again = WalkWindow(it, back, lo, hi, oracle, ctx);
  std::reverse(again.begin(), again.end());
  if (again == entries) return;
  std::string msg = ctx + ": walking back over keys [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + ") returned " + std::to_string(again.size()) +
                    " entries, the walk there " + std::to_string(entries.size());
  for (size_t i = 0; i < std::max(again.size(), entries.size()); i++) {
    if (i < again.size() && i < entries.size() && again[i] == entries[i]) continue;
    msg += "; first difference at position " + std::to_string(i) + ": there " +
           (i < entries.size() ? DescribeKey(entries[i].index) + " " + entries[i].found.ToString()
                               : std::string("nothing")) +
           ", back " +
           (i < again.size() ? DescribeKey(again[i].index) + " " + again[i].found.ToString()
                             : std::string("nothing"));
    break;
  }
  FailVerification(msg);
}

void CheckZigZag(Iterator* it, std::vector<ScanEntry> entries, Rng* rng, int steps,
                 const ExpectedState& oracle, std::string_view context) {
  if (entries.empty()) return;
  std::sort(entries.begin(), entries.end(),
            [](const ScanEntry& a, const ScanEntry& b) { return a.index < b.index; });
  const std::string ctx = std::string(context) + " (zigzag)";
  size_t pos = rng->Uniform(entries.size());
  const uint64_t start = entries[pos].index;
  it->Seek(rng->OneIn(2) ? KeyFor(start) : KeyLowerBound(start));
  std::string moves = "Seek(" + std::to_string(start) + ")";
  for (int step = 0;; step++) {
    if (!it->Valid()) {
      CheckOk(it->status(), ctx + ": iterator");
      FailVerification(ctx + ": after " + moves + " the iterator ended, expected " +
                       DescribeKey(entries[pos].index));
    }
    const uint64_t index = CurrentIndex(*it, oracle, ctx);
    const KeyState found = DecodeValue(index, it->value(), ctx);
    if (index != entries[pos].index || found != entries[pos].found) {
      FailVerification(ctx + ": after " + moves + " the iterator is at " + DescribeKey(index) +
                       " " + found.ToString() + ", the walk found " +
                       DescribeKey(entries[pos].index) + " " + entries[pos].found.ToString() +
                       " there");
    }
    if (step == steps || entries.size() == 1) return;
    const bool forward = pos == 0 || (pos + 1 < entries.size() && rng->OneIn(2));
    forward ? it->Next() : it->Prev();
    forward ? pos++ : pos--;
    moves += forward ? " Next" : " Prev";
  }
}

void SeekWindowStart(Iterator* it, Direction dir, uint64_t lo, uint64_t hi, uint64_t num_keys,
                     bool use_edge) {
  if (dir == Direction::kForward) {
    if (use_edge && lo == 0) {
      it->SeekToFirst();
    } else {
      it->Seek(KeyLowerBound(lo));
    }
    return;
  }
  if (use_edge && hi >= num_keys) {
    it->SeekToLast();
    return;
  }
  // The last key below KeyLowerBound(hi) is the last key of the window, if the window has any.
  it->Seek(KeyLowerBound(hi));
  it->Valid() ? it->Prev() : it->SeekToLast();
}

}  // namespace strata::stress
