// Version: one immutable snapshot of the DB's set of SST files, per level.
//
//  - L0 files may overlap; they are ordered newest first (largest sequence number first), and a
//    read consults every L0 file whose range holds the key, in that order.
//  - In L1..L6 files do not overlap and are ordered by key; a read consults at most one file per
//    level.
//
// Versions are shared as std::shared_ptr<const Version>: the DB's current version, every open
// iterator and every running compaction hold one, and the files of a version held by anyone are
// never deleted. A Version refers to its VersionSet's table cache and comparator; the VersionSet
// (and so the DB) must outlive every Version.
//
// Thread safety: a Version is immutable after construction and may be read by any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "strata/options.h"
#include "strata/status.h"
#include "version/version_edit.h"

namespace strata {

class TableCache;

using FileList = std::vector<std::shared_ptr<const FileMetaData>>;

class Version {
 public:
  Version(const InternalKeyComparator* icmp, TableCache* table_cache,
          std::array<FileList, kNumLevels> files);
  Version(const Version&) = delete;
  Version& operator=(const Version&) = delete;

  // Looks key up in the files of this version, newest data first. Ok with *value set, NotFound
  // (found a deletion or nothing), or the error of a failed read (naming the file).
  Status Get(const ReadOptions& options, const LookupKey& key, std::string* value) const;

  // Appends iterators that together yield every entry of this version: one per L0 file, one
  // concatenating iterator per non-empty deeper level. Each holds what it needs alive.
  void AddIterators(const ReadOptions& options,
                    std::vector<std::unique_ptr<InternalIterator>>* iters) const;

  // An iterator over the files of `level` (REQUIRES level > 0: sorted, disjoint), opening each
  // file lazily. It keeps the files' metadata alive but not the Version.
  std::unique_ptr<InternalIterator> NewLevelIterator(const ReadOptions& options,
                                                     int level) const;

  const FileList& files(int level) const { return files_[level]; }
  int NumFiles(int level) const { return static_cast<int>(files_[level].size()); }
  uint64_t NumLevelBytes(int level) const;
  const InternalKeyComparator* comparator() const { return icmp_; }

  // True if some file of `level` overlaps the user-key range [smallest, largest]
  // (null = unbounded).
  bool OverlapInLevel(int level, const std::string_view* smallest_user_key,
                      const std::string_view* largest_user_key) const;

  // The files of `level` that overlap the user-key range [begin, end] (null = unbounded). For
  // L0, the range grows to cover every overlapping file transitively (L0 files overlap each
  // other), as a compaction of L0 must take all of them.
  FileList GetOverlappingInputs(int level, const InternalKey* begin,
                                const InternalKey* end) const;

  // The level a flushed memtable covering [smallest, largest] goes to: 0, or deeper (up to
  // kMaxMemCompactLevel) when it overlaps nothing there and little in the level below, which
  // saves compaction work for sequential loads.
  int PickLevelForMemTableOutput(std::string_view smallest_user_key,
                                 std::string_view largest_user_key,
                                 uint64_t max_grandparent_overlap_bytes) const;

  // Human-readable list of files per level.
  std::string DebugString() const;

  static constexpr int kMaxMemCompactLevel = 2;

 private:
  const InternalKeyComparator* const icmp_;
  TableCache* const table_cache_;
  const std::array<FileList, kNumLevels> files_;
};

// Index of the first file in `files` (sorted, disjoint) whose largest key is >= internal_key;
// files.size() if there is none.
size_t FindFile(const InternalKeyComparator& icmp, const FileList& files,
                std::string_view internal_key);

// An iterator over files that are sorted and disjoint (a level >= 1, or part of one), opening
// one table at a time. It keeps the files' metadata alive; table_cache must outlive it.
std::unique_ptr<InternalIterator> NewConcatenatingIterator(const InternalKeyComparator* icmp,
                                                           TableCache* table_cache,
                                                           const ReadOptions& options,
                                                           FileList files);

// Total bytes of the files.
uint64_t TotalFileSize(const FileList& files);

}  // namespace strata
