// Compaction: the description of one compaction (which files of which levels go in, where the
// output goes), and the picker — the pure policy that chooses it from a Version.
//
// Leveled policy:
//  - L0 is scored by file count (level0_file_num_compaction_trigger), L1.. by total bytes against
//    max_bytes_for_level_base * multiplier^(level-1). The level with the highest score >= 1 is
//    compacted into the next one.
//  - An L0 compaction takes every L0 file (they overlap each other and must go down together to
//    keep newer data above older data) plus the overlapping L1 files.
//  - An L1+ compaction takes the file whose overlap with the next level is smallest relative to
//    its own size (least rewriting per byte moved down), plus the overlapping next-level files,
//    then grows the level's side while that adds no next-level file.
//  - A single input file with nothing to merge with in the next level is moved, not rewritten.
//
// Thread safety: a Compaction is used by one thread at a time. The picker functions are pure.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "db/dbformat.h"
#include "strata/options.h"
#include "version/version.h"
#include "version/version_edit.h"

namespace strata {

class Compaction {
 public:
  Compaction(const Options& options, std::shared_ptr<const Version> input_version, int level,
             FileList level_inputs, FileList next_level_inputs);

  // The input level; outputs go to level() + 1.
  int level() const { return level_; }
  int output_level() const { return level_ + 1; }
  // which = 0: files of level(); which = 1: files of level() + 1.
  const FileList& inputs(int which) const { return inputs_[which]; }
  const Version& input_version() const { return *input_version_; }
  uint64_t MaxOutputFileSize() const { return max_output_file_size_; }
  uint64_t TotalInputBytes() const;

  // True if the compaction can move its single input file down a level without rewriting it.
  bool IsTrivialMove() const;

  // True if no level below output_level() holds user_key, so a deletion of it can be dropped
  // once no snapshot needs it. REQUIRES: calls with non-decreasing user keys.
  bool IsBaseLevelForKey(std::string_view user_key);

  // True if the current output file should end before internal_key, because it already overlaps
  // too many bytes of the level below the output (that would make its next compaction costly).
  // REQUIRES: calls with increasing keys.
  bool ShouldStopBefore(std::string_view internal_key);

  // Adds the deletion of every input file to edit.
  void AddInputDeletions(VersionEdit* edit) const;

 private:
  const int level_;
  const uint64_t max_output_file_size_;
  const uint64_t max_grandparent_overlap_;
  const std::shared_ptr<const Version> input_version_;
  std::array<FileList, 2> inputs_;
  FileList grandparents_;  // files of output_level() + 1 overlapping the compaction

  // ShouldStopBefore state.
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  uint64_t overlapped_bytes_ = 0;

  // IsBaseLevelForKey state: a cursor per level below the output level.
  std::array<size_t, kNumLevels> level_ptrs_{};
};

// Target total bytes of a level >= 1.
uint64_t MaxBytesForLevel(const Options& options, int level);

// The compaction score of each level (>= 1 means it needs compaction); the last level is 0.
std::array<double, kNumLevels> CompactionScores(const Options& options, const Version& v);

bool NeedsCompaction(const Options& options, const Version& v);

// The compaction the policy wants now, or null if no level needs one.
std::unique_ptr<Compaction> PickCompaction(const Options& options,
                                           std::shared_ptr<const Version> v);

// A compaction of the files of `level` overlapping the user-key range [begin, end] (null =
// unbounded) into level + 1, or null if none overlap. REQUIRES: level + 1 < kNumLevels.
std::unique_ptr<Compaction> PickRangeCompaction(const Options& options,
                                                std::shared_ptr<const Version> v, int level,
                                                const InternalKey* begin, const InternalKey* end);

}  // namespace strata
