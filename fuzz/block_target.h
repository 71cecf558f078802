// block_fuzzer: the block reader and iterator (sst/block.h) on arbitrary contents, checked
// against an independent decoder written from the format spec (docs/format.md "Blocks of
// entries").
//
// Input: mode | payload.
//   mode bit 0: fix up the checksum of a physical block (bit 3) before reading it;
//   mode bits 1-2: the keys: 0 opaque, bytewise order; 1 internal keys, bytewise user order;
//                  2 internal keys, reversed user order; 3 opaque, reversed order;
//   mode bit 3: the payload is a block as stored in a file (contents | compression type |
//               checksum, at offset 0), read with ReadBlock (so decompression is fuzzed too);
//               otherwise the payload is the block's contents;
//   mode bit 4: ReadBlock verifies the checksum (compressed blocks are verified regardless).
//
// Invariants, for every input: the Block's verdict on its restart array matches the spec; a
// forward scan yields exactly the entries the reference decoder finds, and fails with Corruption
// exactly where it does; a Seek never lands before its target; nothing reads out of bounds.
// For a well-formed block (per the spec: every entry decodes, restart points are entries with
// shared = 0, keys strictly increase) every operation matches a sorted model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "fuzz_util.h"
#include "model_check.h"
#include "sst/block.h"
#include "sst/format.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/random.h"

namespace strata::fuzz {

inline constexpr uint8_t kBlockModeFixChecksum = 1;
inline constexpr uint8_t kBlockModeKeyShift = 1;  // two bits
inline constexpr uint8_t kBlockModePhysical = 8;
inline constexpr uint8_t kBlockModeVerify = 16;

// Decompressed blocks can be large (a compressed block may claim up to
// kMaxUncompressedBlockSize); beyond this size only a bounded scan is run.
inline constexpr size_t kBlockDeepCheckLimit = size_t{1} << 20;

// What the spec says a block holds, decoded independently of sst/block.cc.
struct ReferenceBlock {
  bool header_ok = false;  // sizes and restart array valid: the Block must accept them
  uint32_t restarts_offset = 0;
  std::vector<uint32_t> restarts;
  // The entries a sequential decode from offset 0 finds (each key built on the previous one),
  // which is what a forward scan returns, and their offsets and `shared` fields.
  KVVector entries;
  std::vector<uint32_t> offsets;
  std::vector<uint32_t> shared;
  bool scan_ok = false;      // every entry decoded, up to restarts_offset exactly
  bool well_formed = false;  // scan_ok, restart points valid, keys strictly increasing
};

inline ReferenceBlock DecodeReferenceBlock(std::string_view d, uint32_t min_key_length,
                                           const Comparator* cmp) {
  ReferenceBlock ref;
  if (d.size() < 4 || d.size() > UINT32_MAX) return ref;
  const auto size = static_cast<uint32_t>(d.size());
  const uint32_t num = DecodeFixed32(d.data() + size - 4);
  if (num > (size - 4) / 4) return ref;
  ref.restarts_offset = size - 4 - 4 * num;
  for (uint32_t i = 0; i < num; i++) {
    ref.restarts.push_back(DecodeFixed32(d.data() + ref.restarts_offset + 4 * i));
  }
  if (ref.restarts_offset > 0) {
    if (num == 0 || ref.restarts[0] != 0) return ref;
    for (uint32_t i = 1; i < num; i++) {
      if (ref.restarts[i] <= ref.restarts[i - 1] || ref.restarts[i] >= ref.restarts_offset) {
        return ref;
      }
    }
  } else if (num > 1 || (num == 1 && ref.restarts[0] != 0)) {
    return ref;
  }
  ref.header_ok = true;

  std::string key;
  uint32_t pos = 0;
  const char* const limit = d.data() + ref.restarts_offset;
  while (pos < ref.restarts_offset) {
    uint32_t shared = 0, non_shared = 0, value_length = 0;
    const char* p = GetVarint32Ptr(d.data() + pos, limit, &shared);
    if (p != nullptr) p = GetVarint32Ptr(p, limit, &non_shared);
    if (p != nullptr) p = GetVarint32Ptr(p, limit, &value_length);
    if (p == nullptr || uint64_t{non_shared} + value_length > static_cast<uint64_t>(limit - p) ||
        shared > key.size() || uint64_t{shared} + non_shared < min_key_length) {
      return ref;  // scan_ok stays false: a forward scan must fail here
    }
    key.resize(shared);
    key.append(p, non_shared);
    ref.entries.emplace_back(key, std::string(p + non_shared, value_length));
    ref.offsets.push_back(pos);
    ref.shared.push_back(shared);
    pos = static_cast<uint32_t>(p + non_shared + value_length - d.data());
  }
  ref.scan_ok = true;

  // Each restart point must be an entry with shared = 0.
  size_t e = 0;
  for (const uint32_t r : ref.restarts) {
    if (ref.restarts_offset == 0) break;  // an empty block's single restart points at nothing
    while (e < ref.offsets.size() && ref.offsets[e] < r) e++;
    if (e == ref.offsets.size() || ref.offsets[e] != r || ref.shared[e] != 0) return ref;
  }
  ref.well_formed = StrictlyIncreasing(ref.entries, cmp);
  return ref;
}

// Checks what any block (well-formed or not) must satisfy.
inline void CheckAnyBlock(const Block& block, const ReferenceBlock& ref, const Comparator* cmp,
                          bool internal, uint64_t seed) {
  FUZZ_CHECK_MSG(block.status().ok() == ref.header_ok, block.status().ToString());
  auto make_iter = [&]() -> std::unique_ptr<InternalIterator> {
    if (internal) return block.NewIterator(static_cast<const InternalKeyComparator*>(cmp));
    return block.NewIterator(cmp);
  };

  // A forward scan is a sequential decode: it must agree with the reference entry by entry.
  std::unique_ptr<InternalIterator> it = make_iter();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    FUZZ_CHECK_MSG(n < ref.entries.size(), "scan returned more entries than the block holds");
    FUZZ_CHECK_MSG(it->key() == ref.entries[n].first, "scan key " + std::to_string(n));
    FUZZ_CHECK_MSG(it->value() == ref.entries[n].second, "scan value " + std::to_string(n));
  }
  if (!ref.header_ok) {
    FUZZ_CHECK(n == 0 && it->status().IsCorruption());
  } else if (ref.scan_ok) {
    FUZZ_CHECK_MSG(it->status().ok() && n == ref.entries.size(), it->status().ToString());
  } else {
    FUZZ_CHECK_MSG(it->status().IsCorruption() && n == ref.entries.size(),
                   it->status().ToString() + ", " + std::to_string(n) + " entries");
  }

  // Whatever the block holds, a Seek lands at or after its target, and moving never crashes.
  const std::vector<std::string> targets = MakeSeekTargets(ref.entries, internal, seed, 16);
  it = make_iter();
  Random rnd(seed);
  for (int step = 0; step < 64; step++) {
    const uint64_t op = rnd.Uniform(6);
    if (op < 2 && !targets.empty()) {
      const std::string& t = targets[rnd.Uniform(targets.size())];
      it->Seek(t);
      if (it->Valid()) FUZZ_CHECK_MSG(cmp->Compare(it->key(), t) >= 0, "Seek landed before");
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
    if (!it->status().ok()) FUZZ_CHECK(!it->Valid() && it->status().IsCorruption());
  }
}

inline void RunBlockTarget(std::string_view input) {
  ByteReader in(input);
  const uint8_t mode = in.U8();
  const std::string_view payload = in.Rest();
  BlockContents contents;
  if (mode & kBlockModePhysical) {
    if (payload.size() < kBlockTrailerSize) return;
    std::string stored(payload);
    if (mode & kBlockModeFixChecksum) {
      FixBlockTrailer(&stored, BlockHandle(0, stored.size() - kBlockTrailerSize), stored.size());
    }
    const BytesFile file(stored, /*own_memory=*/(mode & 32) != 0);
    const BlockSource source{&file, "fuzz.sst", stored.size()};
    const Status s = ReadBlock(source, BlockHandle(0, stored.size() - kBlockTrailerSize),
                               (mode & kBlockModeVerify) != 0, &contents);
    if (!s.ok()) return;
  } else {
    contents = ExactContents(payload);
  }

  static const InternalKeyComparator bytewise_icmp(BytewiseComparator());
  static const InternalKeyComparator reverse_icmp(ReverseComparator());
  const int kind = (mode >> kBlockModeKeyShift) & 3;
  const bool internal = kind == 1 || kind == 2;
  const Comparator* const cmp = kind == 0   ? BytewiseComparator()
                                : kind == 1 ? static_cast<const Comparator*>(&bytewise_icmp)
                                : kind == 2 ? static_cast<const Comparator*>(&reverse_icmp)
                                            : ReverseComparator();

  const std::string copy(contents.data);
  const auto block = std::make_shared<const Block>(std::move(contents));
  if (copy.size() > kBlockDeepCheckLimit) {
    // Only a bounded scan: the reference decode of a huge block is not worth its time.
    std::unique_ptr<InternalIterator> it =
        internal ? block->NewIterator(static_cast<const InternalKeyComparator*>(cmp))
                 : block->NewIterator(cmp);
    int n = 0;
    for (it->SeekToFirst(); it->Valid() && n < 10000; it->Next()) n++;
    return;
  }
  const ReferenceBlock ref = DecodeReferenceBlock(copy, internal ? 8 : 0, cmp);
  const uint64_t seed = Hash64(input);
  CheckAnyBlock(*block, ref, cmp, internal, seed);
  if (!ref.well_formed) return;

  // A well-formed block: every operation has one right answer. Check both kinds of iterator:
  // the one that pins the block and the plain one.
  std::unique_ptr<InternalIterator> pinned =
      internal ? NewBlockIterator(block, static_cast<const InternalKeyComparator*>(cmp))
               : NewBlockIterator(block, cmp);
  const std::vector<std::string> targets = MakeSeekTargets(ref.entries, internal, seed);
  CheckIteratorMatchesModel(pinned.get(), ref.entries, cmp, targets, seed, 300);
  BlockIter plain;
  if (internal) {
    plain.Init(static_cast<const InternalKeyComparator*>(cmp), block.get());
  } else {
    plain.Init(cmp, block.get());
  }
  CheckIteratorMatchesModel(&plain, ref.entries, cmp, targets, seed + 1, 100);
}

}  // namespace strata::fuzz
