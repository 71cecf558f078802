// table_fuzzer: Table::Open (sst/table.h) on arbitrary file bytes, then iteration, point
// lookups, ApproximateOffsetOf and VerifyChecksums.
//
// Input: mode | file bytes.
//   mode bit 0: fix up the footer and every block checksum first (FixTableChecksums), so that
//               mutations reach the block, index, filter and properties parsers;
//   mode bit 1: ReadOptions::verify_checksums;
//   mode bit 2: give the table a block cache; bit 3: ReadOptions::fill_cache;
//   mode bit 4: file reads return views of the file's memory instead of copies.
//
// Invariants: nothing crashes, hangs or reads out of bounds; an iterator with an error is not
// Valid(). A reference reader built from the format spec (footer, metaindex, index, every data
// block, all verified) decides whether the file is well-formed: keys strictly increasing within
// and across blocks, every index separator S(i) with L(i) <= S(i) < first key of block i+1 and
// (S(i) == L(i) or a user key below the next block's), no empty data blocks. A well-formed table
// must open, iterate exactly like the sorted model in both directions and from every Seek, pass
// VerifyChecksums, and (when its bloom filter admits every key) answer Get like the model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "block_target.h"
#include "db/dbformat.h"
#include "fuzz_util.h"
#include "model_check.h"
#include "sst/block.h"
#include "sst/filter.h"
#include "sst/format.h"
#include "sst/properties.h"
#include "sst/table.h"
#include "util/cache.h"
#include "util/checksum.h"

namespace strata::fuzz {

inline constexpr uint8_t kTableModeFixChecksums = 1;
inline constexpr uint8_t kTableModeVerify = 2;
inline constexpr uint8_t kTableModeBlockCache = 4;
inline constexpr uint8_t kTableModeFillCache = 8;
inline constexpr uint8_t kTableModeOwnMemory = 16;

inline const InternalKeyComparator* FuzzInternalComparator() {
  static const InternalKeyComparator icmp(BytewiseComparator());
  return &icmp;
}

// What a spec-conforming reader finds in the file.
struct ReferenceTable {
  bool well_formed = false;    // the table must open and iterate exactly as `entries`
  bool filter_admits = false;  // and Get must agree with `entries` too
  KVVector entries;
};

inline ReferenceTable ReadReferenceTable(std::string_view bytes) {
  ReferenceTable ref;
  const InternalKeyComparator* icmp = FuzzInternalComparator();
  if (bytes.size() < Footer::kEncodedLength) return ref;
  const uint64_t footer_offset = bytes.size() - Footer::kEncodedLength;
  Footer footer;
  if (!footer.DecodeFrom(bytes.substr(footer_offset), footer_offset).ok()) return ref;
  const BytesFile file(bytes);
  const BlockSource source{&file, "ref.sst", footer_offset};
  // A verified, well-formed block of entries.
  auto read_entries = [&](const BlockHandle& h, const Comparator* cmp, uint32_t min_key,
                          KVVector* entries) {
    BlockContents contents;
    if (!ReadBlock(source, h, /*verify_checksum=*/true, &contents).ok()) return false;
    ReferenceBlock block = DecodeReferenceBlock(contents.data, min_key, cmp);
    if (!block.well_formed) return false;
    *entries = std::move(block.entries);
    return true;
  };
  auto decode_handle = [](std::string_view encoded, BlockHandle* h) {
    return h->DecodeFrom(&encoded) && encoded.empty();
  };

  KVVector meta;
  if (!read_entries(footer.metaindex_handle, BytewiseComparator(), 0, &meta)) return ref;
  std::unique_ptr<BloomFilterReader> filter;
  for (const auto& [name, value] : meta) {
    BlockHandle h;
    if (name != kFilterBlockName && name != kPropertiesBlockName) continue;
    if (!decode_handle(value, &h)) return ref;
    BlockContents contents;
    if (!ReadBlock(source, h, /*verify_checksum=*/true, &contents).ok()) return ref;
    if (name == kFilterBlockName) {
      filter = BloomFilterReader::Create(contents.data);
      if (filter == nullptr) return ref;
    } else {
      const Block block(std::move(contents));
      TableProperties props;
      if (!DecodeProperties(block, "ref.sst", &props).ok()) return ref;
    }
  }

  KVVector index;
  if (!read_entries(footer.index_handle, icmp, 8, &index)) return ref;
  const Comparator* ucmp = icmp->user_comparator();
  for (size_t i = 0; i < index.size(); i++) {
    BlockHandle h;
    KVVector block;
    if (!decode_handle(index[i].second, &h) || !read_entries(h, icmp, 8, &block) || block.empty()) {
      return ref;
    }
    const std::string& sep = index[i].first;
    if (icmp->Compare(block.back().first, sep) > 0) return ref;
    if (i > 0 && icmp->Compare(index[i - 1].first, block.front().first) >= 0) return ref;
    if (i > 0) {
      const std::string& prev_sep = index[i - 1].first;
      const std::string& prev_last = ref.entries.back().first;
      if (prev_sep != prev_last &&
          ucmp->Compare(ExtractUserKey(prev_sep), ExtractUserKey(block.front().first)) >= 0) {
        return ref;
      }
    }
    for (auto& e : block) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(e.first, &parsed)) return ref;
      ref.entries.push_back(std::move(e));
    }
  }
  if (!StrictlyIncreasing(ref.entries, icmp)) return ref;
  ref.well_formed = true;
  ref.filter_admits = true;
  if (filter != nullptr) {
    for (const auto& e : ref.entries) {
      if (!filter->KeyMayMatch(ExtractUserKey(e.first))) ref.filter_admits = false;
    }
  }
  return ref;
}

// The answer Table::Get must give for target (an internal key from LookupKey).
inline Table::GetState ModelGet(const KVVector& entries, std::string_view target,
                                std::string* value) {
  const InternalKeyComparator* icmp = FuzzInternalComparator();
  const size_t i = LowerBound(entries, icmp, target);
  if (i == entries.size() || ExtractUserKey(entries[i].first) != ExtractUserKey(target)) {
    return Table::GetState::kNotPresent;
  }
  if ((ExtractTag(entries[i].first) & 0xff) == kTypeDeletion) return Table::GetState::kDeleted;
  *value = entries[i].second;
  return Table::GetState::kFound;
}

// Moves an iterator over a table that may be malformed: only safety is checked.
inline void ExerciseIterator(InternalIterator* it, const std::vector<std::string>& targets,
                             uint64_t seed) {
  int n = 0;
  for (it->SeekToFirst(); it->Valid() && n < 20000; it->Next()) n++;
  if (!it->status().ok()) FUZZ_CHECK(!it->Valid());
  n = 0;
  for (it->SeekToLast(); it->Valid() && n < 2000; it->Prev()) n++;
  if (!it->status().ok()) FUZZ_CHECK(!it->Valid());
  Random rnd(seed);
  for (int step = 0; step < 64; step++) {
    const uint64_t op = rnd.Uniform(6);
    if (op < 2 && !targets.empty()) {
      it->Seek(targets[rnd.Uniform(targets.size())]);
    } else if (op == 2) {
      it->SeekToFirst();
    } else if (op == 3) {
      it->SeekToLast();
    } else if (it->Valid()) {
      if (op == 4) {
        it->Next();
      } else {
        it->Prev();
      }
    }
    if (it->Valid()) FUZZ_CHECK(it->key().size() >= 8);
    if (!it->status().ok()) FUZZ_CHECK(!it->Valid());
  }
}

inline void RunTableTarget(std::string_view input) {
  ByteReader in(input);
  const uint8_t mode = in.U8();
  std::string bytes(in.Rest());
  const InternalKeyComparator* icmp = FuzzInternalComparator();
  if (mode & kTableModeFixChecksums) FixTableChecksums(&bytes, icmp);

  TableOptions options;
  options.comparator = icmp;
  if (mode & kTableModeBlockCache) options.block_cache = NewLRUCache(64 * 1024, 0);
  std::shared_ptr<Table> table;
  const Status open = Table::Open(options, std::make_unique<BytesFile>(bytes, (mode & 16) != 0),
                                  bytes.size(), "fuzz.sst", &table);
  const ReferenceTable ref = ReadReferenceTable(bytes);
  if (ref.well_formed) FUZZ_CHECK_MSG(open.ok(), open.ToString());
  if (!open.ok()) {
    FUZZ_CHECK(table == nullptr);
    return;
  }

  ReadOptions ro;
  ro.verify_checksums = (mode & kTableModeVerify) != 0;
  ro.fill_cache = (mode & kTableModeFillCache) != 0;
  const uint64_t seed = Hash64(input);
  const std::vector<std::string> targets = MakeSeekTargets(ref.entries, /*internal=*/true, seed);
  if (!ref.well_formed) {
    std::unique_ptr<InternalIterator> it = table->NewIterator(ro);
    ExerciseIterator(it.get(), targets, seed);
    for (size_t i = 0; i < targets.size(); i += 4) {
      const std::string_view t = targets[i];
      const LookupKey key(ExtractUserKey(t), ExtractTag(t) >> 8);
      Table::GetState state;
      std::string value;
      table->Get(ro, key, &state, &value).PermitUncheckedError();
      table->ApproximateOffsetOf(t);
    }
    table->VerifyChecksums().PermitUncheckedError();
    return;
  }

  std::unique_ptr<InternalIterator> it = table->NewIterator(ro);
  CheckIteratorMatchesModel(it.get(), ref.entries, icmp, targets, seed, 300);
  const Status verify = table->VerifyChecksums();
  FUZZ_CHECK_MSG(verify.ok(), verify.ToString());
  for (const std::string& t : targets) {
    FUZZ_CHECK(table->ApproximateOffsetOf(t) <= bytes.size());
    if (!ref.filter_admits) continue;
    const LookupKey key(ExtractUserKey(t), ExtractTag(t) >> 8);
    Table::GetState state;
    std::string value;
    const Status s = table->Get(ro, key, &state, &value);
    FUZZ_CHECK_MSG(s.ok(), s.ToString());
    std::string expected_value;
    const Table::GetState expected = ModelGet(ref.entries, key.internal_key(), &expected_value);
    FUZZ_CHECK_MSG(state == expected, "Get(" + Printable(ExtractUserKey(t)) + ") state " +
                                          std::to_string(static_cast<int>(state)) + ", expected " +
                                          std::to_string(static_cast<int>(expected)));
    if (state == Table::GetState::kFound) FUZZ_CHECK(value == expected_value);
  }
}

}  // namespace strata::fuzz
