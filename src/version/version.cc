#include "version/version.h"

#include <algorithm>

#include "sst/table_cache.h"

namespace strata {

size_t FindFile(const InternalKeyComparator& icmp, const FileList& files,
                std::string_view internal_key) {
  size_t left = 0;
  size_t right = files.size();
  while (left < right) {
    const size_t mid = left + (right - left) / 2;
    if (icmp.Compare(files[mid]->largest.Encode(), internal_key) < 0) {
      left = mid + 1;  // everything at or before mid is < key
    } else {
      right = mid;
    }
  }
  return right;
}

uint64_t TotalFileSize(const FileList& files) {
  uint64_t sum = 0;
  for (const auto& f : files) sum += f->file_size;
  return sum;
}

Version::Version(const InternalKeyComparator* icmp, TableCache* table_cache,
                 std::array<FileList, kNumLevels> files)
    : icmp_(icmp), table_cache_(table_cache), files_(std::move(files)) {}

uint64_t Version::NumLevelBytes(int level) const { return TotalFileSize(files_[level]); }

namespace {

// Looks a key up in one file. Returns true if the search is over (found a value, a deletion, or
// an error), false to continue with older files.
bool GetFromFile(TableCache* cache, const ReadOptions& options, const FileMetaData& f,
                 const LookupKey& key, std::string* value, Status* result) {
  Table::GetState state = Table::GetState::kNotPresent;
  Status s = cache->Get(options, f.number, f.file_size, key, &state, value);
  if (!s.ok()) {
    *result = std::move(s);
    return true;
  }
  switch (state) {
    case Table::GetState::kNotPresent:
      return false;
    case Table::GetState::kFound:
      *result = Status::OK();
      return true;
    case Table::GetState::kDeleted:
      *result = Status::NotFound(std::string_view());
      return true;
  }
  return false;
}

}  // namespace

Status Version::Get(const ReadOptions& options, const LookupKey& key, std::string* value) const {
  const Comparator* ucmp = icmp_->user_comparator();
  const std::string_view user_key = key.user_key();
  const std::string_view ikey = key.internal_key();
  Status result;

  // L0: every file whose range holds the key, newest first.
  for (const auto& f : files_[0]) {
    if (ucmp->Compare(user_key, f->smallest.user_key()) < 0 ||
        ucmp->Compare(user_key, f->largest.user_key()) > 0) {
      continue;
    }
    if (GetFromFile(table_cache_, options, *f, key, value, &result)) return result;
  }
  // Deeper levels: at most one file each.
  for (int level = 1; level < kNumLevels; level++) {
    const FileList& files = files_[level];
    if (files.empty()) continue;
    const size_t index = FindFile(*icmp_, files, ikey);
    if (index >= files.size()) continue;
    const FileMetaData& f = *files[index];
    if (ucmp->Compare(user_key, f.smallest.user_key()) < 0) continue;
    if (GetFromFile(table_cache_, options, f, key, value, &result)) return result;
  }
  return Status::NotFound(std::string_view());
}

namespace {

// Iterates over a sorted, disjoint list of files, opening one table iterator at a time.
class LevelIterator final : public InternalIterator {
 public:
  LevelIterator(const InternalKeyComparator* icmp, TableCache* cache, const ReadOptions& options,
                FileList files)
      : icmp_(icmp), cache_(cache), options_(options), files_(std::move(files)) {}

  bool Valid() const override { return file_iter_ != nullptr && file_iter_->Valid(); }

  void SeekToFirst() override {
    OpenFile(0);
    if (file_iter_) file_iter_->SeekToFirst();
    SkipEmptyFilesForward();
  }

  void SeekToLast() override {
    OpenFile(files_.empty() ? 0 : files_.size() - 1);
    if (file_iter_) file_iter_->SeekToLast();
    SkipEmptyFilesBackward();
  }

  void Seek(std::string_view target) override {
    OpenFile(FindFile(*icmp_, files_, target));
    if (file_iter_) file_iter_->Seek(target);
    SkipEmptyFilesForward();
  }

  void Next() override {
    file_iter_->Next();
    SkipEmptyFilesForward();
  }

  void Prev() override {
    file_iter_->Prev();
    SkipEmptyFilesBackward();
  }

  std::string_view key() const override { return file_iter_->key(); }
  std::string_view value() const override { return file_iter_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    return file_iter_ ? file_iter_->status() : Status::OK();
  }

 private:
  // Positions file_iter_ on files_[index] (none if index is out of range), keeping the first
  // error of the iterator it replaces.
  void OpenFile(size_t index) {
    if (file_iter_ && status_.ok()) status_ = file_iter_->status();
    if (index >= files_.size()) {
      file_iter_.reset();
      file_index_ = files_.size();
      return;
    }
    if (file_iter_ && file_index_ == index) return;
    file_index_ = index;
    const FileMetaData& f = *files_[index];
    file_iter_ = cache_->NewIterator(options_, f.number, f.file_size);
  }

  void SkipEmptyFilesForward() {
    while (file_iter_ && !file_iter_->Valid()) {
      if (!file_iter_->status().ok() || !status_.ok()) return;
      if (file_index_ + 1 >= files_.size()) {
        file_iter_.reset();
        return;
      }
      OpenFile(file_index_ + 1);
      file_iter_->SeekToFirst();
    }
  }

  void SkipEmptyFilesBackward() {
    while (file_iter_ && !file_iter_->Valid()) {
      if (!file_iter_->status().ok() || !status_.ok()) return;
      if (file_index_ == 0) {
        file_iter_.reset();
        return;
      }
      OpenFile(file_index_ - 1);
      file_iter_->SeekToLast();
    }
  }

  const InternalKeyComparator* const icmp_;
  TableCache* const cache_;
  const ReadOptions options_;
  const FileList files_;
  size_t file_index_ = 0;
  std::unique_ptr<InternalIterator> file_iter_;
  Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewConcatenatingIterator(const InternalKeyComparator* icmp,
                                                           TableCache* table_cache,
                                                           const ReadOptions& options,
                                                           FileList files) {
  return std::make_unique<LevelIterator>(icmp, table_cache, options, std::move(files));
}

std::unique_ptr<InternalIterator> Version::NewLevelIterator(const ReadOptions& options,
                                                            int level) const {
  return NewConcatenatingIterator(icmp_, table_cache_, options, files_[level]);
}

void Version::AddIterators(const ReadOptions& options,
                           std::vector<std::unique_ptr<InternalIterator>>* iters) const {
  for (const auto& f : files_[0]) {
    iters->push_back(table_cache_->NewIterator(options, f->number, f->file_size));
  }
  for (int level = 1; level < kNumLevels; level++) {
    if (!files_[level].empty()) iters->push_back(NewLevelIterator(options, level));
  }
}

static bool AfterFile(const Comparator* ucmp, const std::string_view* user_key,
                      const FileMetaData& f) {
  return user_key != nullptr && ucmp->Compare(*user_key, f.largest.user_key()) > 0;
}

static bool BeforeFile(const Comparator* ucmp, const std::string_view* user_key,
                       const FileMetaData& f) {
  return user_key != nullptr && ucmp->Compare(*user_key, f.smallest.user_key()) < 0;
}

bool Version::OverlapInLevel(int level, const std::string_view* smallest_user_key,
                             const std::string_view* largest_user_key) const {
  const Comparator* ucmp = icmp_->user_comparator();
  const FileList& files = files_[level];
  if (level == 0) {
    return std::any_of(files.begin(), files.end(), [&](const auto& f) {
      return !AfterFile(ucmp, smallest_user_key, *f) && !BeforeFile(ucmp, largest_user_key, *f);
    });
  }
  size_t index = 0;
  if (smallest_user_key != nullptr) {
    const InternalKey small(*smallest_user_key, kMaxSequenceNumber, kValueTypeForSeek);
    index = FindFile(*icmp_, files, small.Encode());
  }
  if (index >= files.size()) return false;
  return !BeforeFile(ucmp, largest_user_key, *files[index]);
}

FileList Version::GetOverlappingInputs(int level, const InternalKey* begin,
                                       const InternalKey* end) const {
  const Comparator* ucmp = icmp_->user_comparator();
  std::string user_begin, user_end;
  if (begin != nullptr) user_begin = std::string(begin->user_key());
  if (end != nullptr) user_end = std::string(end->user_key());
  FileList inputs;
  const FileList& files = files_[level];
  for (size_t i = 0; i < files.size();) {
    const auto& f = files[i++];
    const std::string_view file_start = f->smallest.user_key();
    const std::string_view file_limit = f->largest.user_key();
    if (begin != nullptr && ucmp->Compare(file_limit, user_begin) < 0) continue;
    if (end != nullptr && ucmp->Compare(file_start, user_end) > 0) continue;
    inputs.push_back(f);
    if (level == 0) {
      // An L0 file may stick out of the range: widen the range and start over so that every L0
      // file overlapping the widened range is included.
      bool widened = false;
      if (begin != nullptr && ucmp->Compare(file_start, user_begin) < 0) {
        user_begin = std::string(file_start);
        widened = true;
      }
      if (end != nullptr && ucmp->Compare(file_limit, user_end) > 0) {
        user_end = std::string(file_limit);
        widened = true;
      }
      if (widened) {
        inputs.clear();
        i = 0;
      }
    }
  }
  return inputs;
}

int Version::PickLevelForMemTableOutput(std::string_view smallest_user_key,
                                        std::string_view largest_user_key,
                                        uint64_t max_grandparent_overlap_bytes) const {
  int level = 0;
  if (OverlapInLevel(0, &smallest_user_key, &largest_user_key)) return level;
  const InternalKey start(smallest_user_key, kMaxSequenceNumber, kValueTypeForSeek);
  const InternalKey limit(largest_user_key, 0, kTypeDeletion);
  while (level < kMaxMemCompactLevel) {
    if (OverlapInLevel(level + 1, &smallest_user_key, &largest_user_key)) break;
    if (level + 2 < kNumLevels) {
      const FileList overlaps = GetOverlappingInputs(level + 2, &start, &limit);
      if (TotalFileSize(overlaps) > max_grandparent_overlap_bytes) break;
    }
    level++;
  }
  return level;
}

std::string Version::DebugString() const {
  std::string r;
  for (int level = 0; level < kNumLevels; level++) {
    r.append("--- level " + std::to_string(level) + " ---\n");
    for (const auto& f : files_[level]) {
      r.append(" " + std::to_string(f->number) + ":" + std::to_string(f->file_size) + "[" +
               f->smallest.DebugString() + " .. " + f->largest.DebugString() + "]\n");
    }
  }
  return r;
}

}  // namespace strata
