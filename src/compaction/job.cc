#include "compaction/job.h"

#include <memory>

#include "compaction/compaction.h"
#include "compaction/compaction_iterator.h"
#include "db/filename.h"
#include "iter/merging_iterator.h"
#include "sst/table_builder.h"
#include "sst/table_cache.h"

namespace strata {
namespace {

// One SST being written: the file, its builder and the metadata gathered from its entries.
class TableOutput {
 public:
  TableOutput(const JobContext& ctx, uint64_t number) : ctx_(ctx) {
    meta_.number = number;
    path_ = TableFileName(ctx.dbname, number);
  }

  Status Open() {
    Status s = ctx_.fs->NewWritableFile(path_, &file_);
    if (s.ok()) builder_ = std::make_unique<TableBuilder>(ctx_.table_cache->table_options(),
                                                         file_.get());
    return s;
  }

  void Add(std::string_view key, const ParsedInternalKey& parsed, std::string_view value) {
    if (builder_->NumEntries() == 0) {
      meta_.smallest.DecodeFrom(key);
      meta_.smallest_seqno = meta_.largest_seqno = parsed.sequence;
    }
    meta_.largest.DecodeFrom(key);
    meta_.smallest_seqno = std::min(meta_.smallest_seqno, parsed.sequence);
    meta_.largest_seqno = std::max(meta_.largest_seqno, parsed.sequence);
    builder_->Add(key, value);
    entries_written_++;
  }

  uint64_t FileSize() const { return builder_->FileSize(); }
  uint64_t NumEntries() const { return builder_->NumEntries(); }

  // Finishes, syncs and closes the file, then verifies it when paranoid.
  Status Finish(FileMetaData* meta) {
    Status s = builder_->Finish();
    meta_.file_size = builder_->FileSize();
    builder_.reset();
    if (s.ok()) s = file_->Sync();
    const Status close_status = file_->Close();
    if (s.ok()) s = close_status;
    file_.reset();
    if (s.ok() && ctx_.options->paranoid_checks) s = Verify();
    if (s.ok()) *meta = meta_;
    return s;
  }

  void Abandon() {
    if (builder_) builder_->Abandon();
    builder_.reset();
    if (file_) file_->Close().PermitUncheckedError();
    file_.reset();
    ctx_.fs->RemoveFile(path_).PermitUncheckedError();
  }

 private:
  // Reads the new table back through the table cache (which keeps it open for the readers to
  // come), checking every block's checksum.
  Status Verify() {
    std::shared_ptr<Table> table;
    Status s = ctx_.table_cache->FindTable(meta_.number, meta_.file_size, &table);
    if (s.ok()) s = table->VerifyChecksums();
    if (s.ok() && table->properties().num_entries != entries_written_) {
      s = Status::Corruption(path_, "entry count read back differs from entries written");
    }
    if (!s.ok()) ctx_.table_cache->Evict(meta_.number);
    return s;
  }
  const JobContext& ctx_;
  std::string path_;
  FileMetaData meta_;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
  uint64_t entries_written_ = 0;
};

Status ShuttingDown() { return Status::IOError("DB is closing: background work abandoned"); }

// Compaction inputs are tables whose checksums verified but whose contents may still be damaged.
// Keys that do not increase are refused: written out they would make an unordered table.
Status InputsOutOfOrder(const JobContext& ctx, const Compaction& c) {
  std::string tables;
  for (int which = 0; which < 2; which++) {
    for (const auto& f : c.inputs(which)) {
      tables += (tables.empty() ? "" : ", ") + std::to_string(f->number);
    }
  }
  return Status::Corruption(
      ctx.dbname, "keys out of order in the inputs of a compaction of level " +
                      std::to_string(c.level()) + " (tables " + tables + "): a damaged table");
}

}  // namespace

Status FlushToTable(const JobContext& ctx, InternalIterator* input,
                    const std::vector<SequenceNumber>& snapshots, FileMetaData* meta,
                    JobStats* stats) {
  meta->number = 0;
  CompactionIterator citer(input, ctx.icmp->user_comparator(), &snapshots, nullptr);
  citer.SeekToFirst();
  if (!citer.Valid()) return citer.status();

  TableOutput out(ctx, ctx.new_output_number());
  Status s = out.Open();
  for (; s.ok() && citer.Valid(); citer.Next()) {
    out.Add(citer.key(), citer.parsed_key(), citer.value());
  }
  if (s.ok()) s = citer.status();
  if (s.ok()) s = out.Finish(meta);
  if (!s.ok()) {
    out.Abandon();
    meta->number = 0;
    return s;
  }
  stats->entries_read += citer.num_input_entries();
  stats->entries_dropped += citer.num_dropped();
  stats->bytes_written += meta->file_size;
  stats->files_written++;
  return s;
}

static std::unique_ptr<InternalIterator> MakeInputIterator(const JobContext& ctx,
                                                           Compaction* c) {
  ReadOptions ro;
  ro.verify_checksums = true;  // compaction inputs are always verified (durability rule 5)
  ro.fill_cache = false;
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (const auto& f : c->inputs(0)) {
    if (c->level() == 0) {
      children.push_back(ctx.table_cache->NewIterator(ro, f->number, f->file_size));
    }
  }
  if (c->level() > 0 && !c->inputs(0).empty()) {
    children.push_back(NewConcatenatingIterator(ctx.icmp, ctx.table_cache, ro, c->inputs(0)));
  }
  if (!c->inputs(1).empty()) {
    children.push_back(NewConcatenatingIterator(ctx.icmp, ctx.table_cache, ro, c->inputs(1)));
  }
  return NewMergingIterator(ctx.icmp, std::move(children));
}

Status RunCompaction(const JobContext& ctx, Compaction* c,
                     const std::vector<SequenceNumber>& snapshots,
                     std::vector<FileMetaData>* outputs, JobStats* stats) {
  std::unique_ptr<InternalIterator> input = MakeInputIterator(ctx, c);
  CompactionIterator citer(input.get(), ctx.icmp->user_comparator(), &snapshots, c);
  const Comparator* ucmp = ctx.icmp->user_comparator();
  std::unique_ptr<TableOutput> out;
  std::string last_user_key;
  uint64_t last_tag = 0;
  bool have_last = false;
  std::vector<FileMetaData> written;
  Status s;

  auto finish_output = [&]() {
    FileMetaData meta;
    Status fs = out->Finish(&meta);
    if (fs.ok()) {
      written.push_back(meta);
      stats->bytes_written += meta.file_size;
      stats->files_written++;
    } else {
      out->Abandon();
    }
    out.reset();
    return fs;
  };

  for (citer.SeekToFirst(); s.ok() && citer.Valid(); citer.Next()) {
    if (ctx.shutting_down->load(std::memory_order_acquire)) {
      s = ShuttingDown();
      break;
    }
    const std::string_view key = citer.key();
    const ParsedInternalKey& parsed = citer.parsed_key();
    // Cut only between user keys, so that files of a level never share a user key.
    const int order = have_last ? ucmp->Compare(parsed.user_key, last_user_key) : 1;
    const uint64_t tag = PackSequenceAndType(parsed.sequence, parsed.type);
    if (order < 0 || (order == 0 && tag >= last_tag)) {
      s = InputsOutOfOrder(ctx, *c);
      break;
    }
    const bool new_user_key = out == nullptr || order != 0;
    const bool stop = c->ShouldStopBefore(key);
    if (out != nullptr && new_user_key && (stop || out->FileSize() >= c->MaxOutputFileSize())) {
      s = finish_output();
      if (!s.ok()) break;
    }
    if (out == nullptr) {
      out = std::make_unique<TableOutput>(ctx, ctx.new_output_number());
      s = out->Open();
      if (!s.ok()) break;
    }
    if (new_user_key) last_user_key.assign(parsed.user_key.data(), parsed.user_key.size());
    last_tag = tag;
    have_last = true;
    out->Add(key, parsed, citer.value());
  }
  if (s.ok()) s = citer.status();
  if (s.ok() && out != nullptr) s = finish_output();
  if (!s.ok()) {
    if (out != nullptr) out->Abandon();
    for (const FileMetaData& meta : written) {
      ctx.table_cache->Evict(meta.number);
      ctx.fs->RemoveFile(TableFileName(ctx.dbname, meta.number)).PermitUncheckedError();
    }
    return s;
  }
  stats->bytes_read += c->TotalInputBytes();
  stats->entries_read += citer.num_input_entries();
  stats->entries_dropped += citer.num_dropped();
  outputs->insert(outputs->end(), written.begin(), written.end());
  return s;
}

}  // namespace strata
