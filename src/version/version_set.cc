#include "version/version_set.h"

#include <algorithm>
#include <map>

#include "db/filename.h"
#include "sst/table_cache.h"
#include "wal/log_reader.h"

namespace strata {

// Accumulates edits on top of a base version and produces the resulting Version, checking that
// the result is consistent (no file added twice or deleted while absent, L1+ files disjoint).
class VersionSet::Builder {
 public:
  Builder(const InternalKeyComparator* icmp, const Version* base) : icmp_(icmp) {
    if (base == nullptr) return;
    for (int level = 0; level < kNumLevels; level++) {
      for (const auto& f : base->files(level)) files_[level].emplace(f->number, f);
    }
  }

  Status Apply(const VersionEdit& edit) {
    for (const auto& [level, number] : edit.deleted_files()) {
      if (files_[level].erase(number) == 0) {
        return Status::Corruption("version edit deletes file " + std::to_string(number) +
                                  " which is not at level " + std::to_string(level));
      }
    }
    for (const auto& [level, meta] : edit.new_files()) {
      if (icmp_->Compare(meta.smallest.Encode(), meta.largest.Encode()) > 0) {
        return Status::Corruption("version edit adds file " + std::to_string(meta.number) +
                                  " whose smallest key is after its largest");
      }
      for (const auto& level_files : files_) {
        if (level_files.count(meta.number) != 0) {
          return Status::Corruption("version edit adds file " + std::to_string(meta.number) +
                                    " twice");
        }
      }
      files_[level].emplace(meta.number, std::make_shared<const FileMetaData>(meta));
    }
    return Status::OK();
  }

  Status SaveTo(TableCache* table_cache, std::shared_ptr<const Version>* result) const {
    std::array<FileList, kNumLevels> levels;
    const Comparator* ucmp = icmp_->user_comparator();
    for (int level = 0; level < kNumLevels; level++) {
      FileList& files = levels[level];
      files.reserve(files_[level].size());
      for (const auto& [number, f] : files_[level]) files.push_back(f);
      if (level == 0) {
        // Newest first: a read must meet the newest version of a key first.
        std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
          if (a->largest_seqno != b->largest_seqno) return a->largest_seqno > b->largest_seqno;
          return a->number > b->number;
        });
        continue;
      }
      std::sort(files.begin(), files.end(), [this](const auto& a, const auto& b) {
        return icmp_->Compare(a->smallest.Encode(), b->smallest.Encode()) < 0;
      });
      for (size_t i = 1; i < files.size(); i++) {
        if (ucmp->Compare(files[i - 1]->largest.user_key(), files[i]->smallest.user_key()) >= 0) {
          return Status::Corruption("files " + std::to_string(files[i - 1]->number) + " and " +
                                    std::to_string(files[i]->number) + " overlap at level " +
                                    std::to_string(level));
        }
      }
    }
    *result = std::make_shared<const Version>(icmp_, table_cache, std::move(levels));
    return Status::OK();
  }

 private:
  const InternalKeyComparator* const icmp_;
  std::array<std::map<uint64_t, std::shared_ptr<const FileMetaData>>, kNumLevels> files_;
};

VersionSet::VersionSet(std::string dbname, const Options* options, FileSystem* fs,
                       TableCache* table_cache, const InternalKeyComparator* icmp, Mutex* mu)
    : dbname_(std::move(dbname)),
      options_(options),
      fs_(fs),
      table_cache_(table_cache),
      icmp_(icmp),
      mu_(mu),
      manifest_cv_(mu) {
  MutexLock lock(mu_);
  Install(std::make_shared<const Version>(icmp_, table_cache_, std::array<FileList, kNumLevels>{}));
}

VersionSet::~VersionSet() {
  if (manifest_file_) manifest_file_->Close().PermitUncheckedError();
}

void VersionSet::Install(std::shared_ptr<const Version> v) {
  current_ = std::move(v);
  std::erase_if(live_versions_, [](const auto& w) { return w.expired(); });
  live_versions_.push_back(current_);
}

void VersionSet::MarkFileNumberUsed(uint64_t number) {
  uint64_t next = next_file_number_.load();
  while (next <= number && !next_file_number_.compare_exchange_weak(next, number + 1)) {
  }
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) {
  mu_->AssertHeld();
  for (const auto& weak : live_versions_) {
    const std::shared_ptr<const Version> v = weak.lock();
    if (!v) continue;
    for (int level = 0; level < kNumLevels; level++) {
      for (const auto& f : v->files(level)) live->insert(f->number);
    }
  }
}

Status VersionSet::WriteSnapshot(log::Writer* log) {
  VersionEdit edit;
  edit.SetComparatorName(icmp_->user_comparator()->Name());
  edit.SetLogNumber(log_number_);
  edit.SetNextFile(next_file_number_.load());
  edit.SetLastSequence(LastSequence());
  std::shared_ptr<const Version> v;
  {
    MutexLock lock(mu_);
    v = current_;
  }
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : v->files(level)) edit.AddFile(level, *f);
  }
  std::string record;
  edit.EncodeTo(&record);
  return log->AddRecord(record);
}

Status VersionSet::StartNewManifest(uint64_t manifest_number) {
  const std::string name = DescriptorFileName(dbname_, manifest_number);
  Status s = fs_->NewWritableFile(name, &manifest_file_);
  if (s.ok()) {
    manifest_log_ = std::make_unique<log::Writer>(manifest_file_.get(), log::LogKind::kManifest,
                                                  manifest_number);
    s = WriteSnapshot(manifest_log_.get());
  }
  if (s.ok()) s = manifest_file_->Sync();
  return s;
}

Status VersionSet::CreateNew() {
  const uint64_t manifest_number = NewFileNumber();
  manifest_file_number_ = manifest_number;
  mu_->Unlock();
  Status s = StartNewManifest(manifest_number);
  if (s.ok()) s = manifest_file_->Close();
  manifest_log_.reset();
  manifest_file_.reset();
  if (!s.ok()) {
    fs_->RemoveFile(DescriptorFileName(dbname_, manifest_number)).PermitUncheckedError();
  } else {
    // Once SetCurrentFile has renamed CURRENT into place, CURRENT may name the new MANIFEST even
    // if it then fails (a failed directory sync): the MANIFEST stays, whatever happens.
    s = SetCurrentFile(fs_, dbname_, manifest_number);
  }
  mu_->Lock();
  return s;
}

Status VersionSet::LogAndApply(VersionEdit* edit) {
  while (manifest_busy_) manifest_cv_.Wait();
  manifest_busy_ = true;

  if (edit->has_log_number()) {
    if (edit->log_number() < log_number_ || edit->log_number() >= next_file_number_.load()) {
      manifest_busy_ = false;
      manifest_cv_.SignalAll();
      return Status::InvalidArgument("version edit log number out of range");
    }
  } else {
    edit->SetLogNumber(log_number_);
  }
  edit->SetLastSequence(LastSequence());

  Builder builder(icmp_, current_.get());
  Status s = builder.Apply(*edit);
  std::shared_ptr<const Version> v;
  if (s.ok()) s = builder.SaveTo(table_cache_, &v);

  // Rolling the MANIFEST needs the new file's number to be covered by the snapshot's
  // next-file-number, so allocate it before the edit records that counter.
  uint64_t new_manifest_number = 0;
  if (s.ok() && (!manifest_log_ || manifest_log_->FileSize() >= kMaxManifestFileSize)) {
    new_manifest_number = NewFileNumber();
  }
  edit->SetNextFile(next_file_number_.load());

  if (s.ok()) {
    mu_->Unlock();
    if (new_manifest_number != 0) {
      if (manifest_file_) manifest_file_->Close().PermitUncheckedError();
      manifest_log_.reset();
      manifest_file_.reset();
      s = StartNewManifest(new_manifest_number);
    }
    if (s.ok()) {
      std::string record;
      edit->EncodeTo(&record);
      s = manifest_log_->AddRecord(record);
      if (s.ok()) s = manifest_file_->Sync();
    }
    if (s.ok() && new_manifest_number != 0) s = SetCurrentFile(fs_, dbname_, new_manifest_number);
    mu_->Lock();
  }

  if (s.ok()) {
    if (new_manifest_number != 0) manifest_file_number_ = new_manifest_number;
    log_number_ = edit->log_number();
    Install(std::move(v));
  } else {
    // What reached the MANIFEST is unknown: never append to it again. The next LogAndApply
    // starts a new MANIFEST from the (unchanged) current state.
    if (manifest_file_) manifest_file_->Close().PermitUncheckedError();
    manifest_log_.reset();
    manifest_file_.reset();
  }
  manifest_busy_ = false;
  manifest_cv_.SignalAll();
  return s;
}

Status VersionSet::VerifyManifest() {
  WaitForManifestIdle();
  manifest_busy_ = true;
  const uint64_t number = manifest_file_number_;
  mu_->Unlock();
  const std::string name = DescriptorFileName(dbname_, number);
  std::unique_ptr<SequentialFile> file;
  Status s = fs_->NewSequentialFile(name, &file);
  if (s.ok()) {
    log::Reader reader(file.get(), name, log::LogKind::kManifest, number);
    std::string scratch;
    std::string_view record;
    while (s.ok() && reader.ReadRecord(&record, &scratch)) {
      VersionEdit edit;
      s = edit.DecodeFrom(record);
      if (!s.ok()) {
        s = s.WithContext(name + " record ending at offset " +
                          std::to_string(reader.LastRecordEndOffset()));
      }
    }
    if (s.ok()) s = reader.status();
  }
  mu_->Lock();
  manifest_busy_ = false;
  manifest_cv_.SignalAll();
  return s;
}

Status VersionSet::ReadCurrentFile(std::string* manifest_name, uint64_t* manifest_number) {
  const std::string current_path = CurrentFileName(dbname_);
  std::string contents;
  Status s = ReadFileToString(fs_, current_path, &contents);
  if (!s.ok()) return s;
  uint64_t number = 0;
  FileType type;
  if (contents.empty() || contents.back() != '\n' ||
      !ParseFileName(std::string_view(contents).substr(0, contents.size() - 1), &number, &type) ||
      type != FileType::kDescriptorFile) {
    return Status::Corruption(current_path, "does not name a MANIFEST file");
  }
  contents.pop_back();
  *manifest_name = dbname_ + "/" + contents;
  *manifest_number = number;
  return Status::OK();
}

Status VersionSet::Recover() {
  std::string manifest_name;
  uint64_t manifest_number = 0;
  Status s = ReadCurrentFile(&manifest_name, &manifest_number);
  if (!s.ok()) return s;

  mu_->Unlock();
  std::unique_ptr<SequentialFile> file;
  s = fs_->NewSequentialFile(manifest_name, &file);
  if (s.IsNotFound()) {
    s = Status::Corruption(CurrentFileName(dbname_), "names a missing MANIFEST: " + manifest_name);
  }
  Builder builder(icmp_, nullptr);
  Status torn_tail;
  bool have_log_number = false, have_next_file = false, have_last_sequence = false;
  uint64_t log_number = 0, next_file = 0;
  SequenceNumber last_sequence = 0;
  if (s.ok()) {
    log::Reader reader(file.get(), manifest_name, log::LogKind::kManifest, manifest_number);
    std::string scratch;
    std::string_view record;
    while (s.ok() && reader.ReadRecord(&record, &scratch)) {
      VersionEdit edit;
      s = edit.DecodeFrom(record);
      if (s.ok() && edit.has_comparator() &&
          edit.comparator() != icmp_->user_comparator()->Name()) {
        s = Status::InvalidArgument(
            "comparator mismatch: the DB was created with " + edit.comparator() +
            ", Options.comparator is " + icmp_->user_comparator()->Name());
      }
      if (s.ok()) s = builder.Apply(edit);
      if (!s.ok()) {
        s = s.WithContext(manifest_name + " record ending at offset " +
                          std::to_string(reader.LastRecordEndOffset()));
        break;
      }
      if (edit.has_log_number()) {
        log_number = edit.log_number();
        have_log_number = true;
      }
      if (edit.has_next_file_number()) {
        next_file = edit.next_file_number();
        have_next_file = true;
      }
      if (edit.has_last_sequence()) {
        last_sequence = edit.last_sequence();
        have_last_sequence = true;
      }
    }
    // A torn tail is an edit whose write never completed, so its change was never installed.
    if (s.ok() && !reader.status().ok() && !reader.tail_is_torn()) s = reader.status();
    if (s.ok() && reader.tail_is_torn()) torn_tail = reader.status();
  }
  if (s.ok() && (!have_log_number || !have_next_file || !have_last_sequence)) {
    s = Status::Corruption(manifest_name, "lacks the log number, next file number or last "
                                          "sequence");
  }
  if (s.ok() && !torn_tail.ok() && log_number != 0) {
    // A torn last edit never took effect, so the files of the state before it are all still
    // there, the WAL it names first included (a running DB created that WAL before appending
    // any later edit). If that WAL is gone, the damaged edit was written whole and acted upon
    // (a flush retired the WAL): it is damage, and dropping it would lose the flushed writes.
    const std::string wal = LogFileName(dbname_, log_number);
    s = fs_->FileExists(wal);
    if (s.IsNotFound()) {
      s = Status::Corruption(torn_tail.message(),
                             "not a torn write: the damaged edit had taken effect (" + wal +
                                 ", which the edits before it need, is gone)");
    }
  }
  std::shared_ptr<const Version> v;
  if (s.ok()) s = builder.SaveTo(table_cache_, &v);
  mu_->Lock();
  if (!s.ok()) return s;

  Install(std::move(v));
  manifest_file_number_ = manifest_number;
  log_number_ = log_number;
  next_file_number_ = next_file;
  MarkFileNumberUsed(manifest_number);
  MarkFileNumberUsed(log_number);
  SetLastSequence(last_sequence);
  return Status::OK();
}

}  // namespace strata
