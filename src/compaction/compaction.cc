#include "compaction/compaction.h"

#include <cmath>

namespace strata {

// Range of user keys covered by the files, as internal keys (smallest, largest).
static void GetRange(const InternalKeyComparator& icmp, const FileList& files,
                     InternalKey* smallest, InternalKey* largest) {
  for (size_t i = 0; i < files.size(); i++) {
    const FileMetaData& f = *files[i];
    if (i == 0 || icmp.Compare(f.smallest.Encode(), smallest->Encode()) < 0) {
      *smallest = f.smallest;
    }
    if (i == 0 || icmp.Compare(f.largest.Encode(), largest->Encode()) > 0) *largest = f.largest;
  }
}

static uint64_t GrandparentOverlapLimit(const Options& options) {
  return 10 * options.target_file_size_base;
}

Compaction::Compaction(const Options& options, std::shared_ptr<const Version> input_version,
                       int level, FileList level_inputs, FileList next_level_inputs)
    : level_(level),
      max_output_file_size_(options.target_file_size_base),
      max_grandparent_overlap_(GrandparentOverlapLimit(options)),
      input_version_(std::move(input_version)),
      inputs_{std::move(level_inputs), std::move(next_level_inputs)} {
  if (output_level() + 1 < kNumLevels) {
    FileList all = inputs_[0];
    all.insert(all.end(), inputs_[1].begin(), inputs_[1].end());
    InternalKey smallest, largest;
    GetRange(*input_version_->comparator(), all, &smallest, &largest);
    grandparents_ = input_version_->GetOverlappingInputs(output_level() + 1, &smallest, &largest);
  }
}

uint64_t Compaction::TotalInputBytes() const {
  return TotalFileSize(inputs_[0]) + TotalFileSize(inputs_[1]);
}

bool Compaction::IsTrivialMove() const {
  return inputs_[0].size() == 1 && inputs_[1].empty() &&
         TotalFileSize(grandparents_) <= max_grandparent_overlap_;
}

bool Compaction::IsBaseLevelForKey(std::string_view user_key) {
  const Comparator* ucmp = input_version_->comparator()->user_comparator();
  for (int lvl = output_level() + 1; lvl < kNumLevels; lvl++) {
    const FileList& files = input_version_->files(lvl);
    size_t& ptr = level_ptrs_[lvl];
    while (ptr < files.size()) {
      const FileMetaData& f = *files[ptr];
      if (ucmp->Compare(user_key, f.largest.user_key()) <= 0) {
        if (ucmp->Compare(user_key, f.smallest.user_key()) >= 0) return false;
        break;  // the key falls before this file (and after the previous one)
      }
      ptr++;
    }
  }
  return true;
}

bool Compaction::ShouldStopBefore(std::string_view internal_key) {
  const InternalKeyComparator& icmp = *input_version_->comparator();
  while (grandparent_index_ < grandparents_.size() &&
         icmp.Compare(internal_key, grandparents_[grandparent_index_]->largest.Encode()) > 0) {
    if (seen_key_) overlapped_bytes_ += grandparents_[grandparent_index_]->file_size;
    grandparent_index_++;
  }
  seen_key_ = true;
  if (overlapped_bytes_ > max_grandparent_overlap_) {
    overlapped_bytes_ = 0;
    return true;
  }
  return false;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (int which = 0; which < 2; which++) {
    for (const auto& f : inputs_[which]) edit->RemoveFile(level_ + which, f->number);
  }
}

uint64_t MaxBytesForLevel(const Options& options, int level) {
  double result = static_cast<double>(options.max_bytes_for_level_base);
  for (int l = 1; l < level; l++) result *= options.max_bytes_for_level_multiplier;
  return static_cast<uint64_t>(result);
}

std::array<double, kNumLevels> CompactionScores(const Options& options, const Version& v) {
  std::array<double, kNumLevels> scores{};
  scores[0] = static_cast<double>(v.NumFiles(0)) /
              static_cast<double>(options.level0_file_num_compaction_trigger);
  for (int level = 1; level + 1 < kNumLevels; level++) {
    scores[level] = static_cast<double>(v.NumLevelBytes(level)) /
                    static_cast<double>(MaxBytesForLevel(options, level));
  }
  return scores;
}

bool NeedsCompaction(const Options& options, const Version& v) {
  for (const double score : CompactionScores(options, v)) {
    if (score >= 1) return true;
  }
  return false;
}

namespace {

// The file of `level` whose next-level overlap is smallest relative to its own size.
std::shared_ptr<const FileMetaData> PickMinOverlapFile(const Version& v, int level) {
  std::shared_ptr<const FileMetaData> best;
  double best_ratio = 0;
  for (const auto& f : v.files(level)) {
    const FileList overlap = v.GetOverlappingInputs(level + 1, &f->smallest, &f->largest);
    const double ratio = static_cast<double>(TotalFileSize(overlap)) /
                         static_cast<double>(std::max<uint64_t>(f->file_size, 1));
    if (!best || ratio < best_ratio) {
      best = f;
      best_ratio = ratio;
    }
  }
  return best;
}

// Adds level files inside the range of the next-level inputs when that pulls in no further
// next-level file and keeps the compaction within limit bytes.
void ExpandLevelInputs(const Options& options, const Version& v, int level, FileList* inputs0,
                       FileList* inputs1) {
  if (level == 0 || inputs1->empty()) return;
  const InternalKeyComparator& icmp = *v.comparator();
  FileList all = *inputs0;
  all.insert(all.end(), inputs1->begin(), inputs1->end());
  InternalKey smallest, largest;
  GetRange(icmp, all, &smallest, &largest);
  FileList expanded0 = v.GetOverlappingInputs(level, &smallest, &largest);
  if (expanded0.size() <= inputs0->size()) return;
  const uint64_t limit = 25 * options.target_file_size_base;
  if (TotalFileSize(expanded0) + TotalFileSize(*inputs1) >= limit) return;
  InternalKey new_smallest, new_largest;
  GetRange(icmp, expanded0, &new_smallest, &new_largest);
  const FileList expanded1 = v.GetOverlappingInputs(level + 1, &new_smallest, &new_largest);
  if (expanded1.size() != inputs1->size()) return;
  *inputs0 = std::move(expanded0);
}

std::unique_ptr<Compaction> MakeCompaction(const Options& options,
                                           std::shared_ptr<const Version> v, int level,
                                           FileList inputs0) {
  InternalKey smallest, largest;
  GetRange(*v->comparator(), inputs0, &smallest, &largest);
  FileList inputs1 = v->GetOverlappingInputs(level + 1, &smallest, &largest);
  ExpandLevelInputs(options, *v, level, &inputs0, &inputs1);
  return std::make_unique<Compaction>(options, std::move(v), level, std::move(inputs0),
                                      std::move(inputs1));
}

}  // namespace

std::unique_ptr<Compaction> PickCompaction(const Options& options,
                                           std::shared_ptr<const Version> v) {
  const std::array<double, kNumLevels> scores = CompactionScores(options, *v);
  int best_level = -1;
  double best_score = 1;
  for (int level = 0; level + 1 < kNumLevels; level++) {
    if (scores[level] >= best_score) {
      best_level = level;
      best_score = scores[level];
    }
  }
  if (best_level < 0) return nullptr;
  FileList inputs0;
  if (best_level == 0) {
    inputs0 = v->files(0);
  } else {
    inputs0.push_back(PickMinOverlapFile(*v, best_level));
  }
  return MakeCompaction(options, std::move(v), best_level, std::move(inputs0));
}

std::unique_ptr<Compaction> PickRangeCompaction(const Options& options,
                                                std::shared_ptr<const Version> v, int level,
                                                const InternalKey* begin,
                                                const InternalKey* end) {
  FileList inputs0 = v->GetOverlappingInputs(level, begin, end);
  if (inputs0.empty()) return nullptr;
  return MakeCompaction(options, std::move(v), level, std::move(inputs0));
}

}  // namespace strata
