#include "sst/table.h"

#include <utility>

#include "fs/mapped_region.h"
#include "iter/two_level_iterator.h"
#include "sst/block.h"
#include "sst/filter.h"
#include "sst/format.h"
#include "sst/properties.h"

namespace strata {

struct Table::Rep {
  TableOptions options;
  std::unique_ptr<RandomAccessFile> file;
  std::shared_ptr<const std::string> file_name;
  BlockSource source;  // reads from *file; blocks_end = the footer's offset
  uint64_t cache_id = 0;
  Footer footer;
  std::shared_ptr<const Block> index_block;
  std::unique_ptr<BloomFilterReader> filter;  // null: no filter, every key may match
  BlockHandle filter_handle;
  BlockHandle properties_handle;
  bool has_filter = false;
  bool has_properties = false;
  uint64_t data_end = 0;  // offset just past the last data block
  TableProperties props;
  // Read through a memory mapping: index, filter and in-place data blocks view the file's pages,
  // and every result built from them is checked against the mapping's status (see below).
  bool mapped = false;

  const InternalKeyComparator* cmp() const { return options.comparator; }

  Status Corruption(std::string_view msg) const { return Status::Corruption(*file_name, msg); }

  // Reads a block that Open or VerifyChecksums needs, always verifying its checksum.
  Status ReadVerifiedBlock(const BlockHandle& handle, std::shared_ptr<const Block>* block) const {
    BlockContents contents;
    Status s = ReadBlock(source, handle, /*verify_checksum=*/true, &contents);
    if (!s.ok()) return s;
    auto b = std::make_shared<const Block>(std::move(contents), file_name, handle.offset());
    if (!b->status().ok()) return b->status();
    *block = std::move(b);
    return Status::OK();
  }

  Status DecodeHandle(std::string_view encoded, BlockHandle* handle) const {
    if (!handle->DecodeFrom(&encoded) || !encoded.empty()) {
      return Corruption("malformed block handle in index or metaindex block");
    }
    return Status::OK();
  }

  Status ReadFooter(uint64_t file_size);
  Status ReadMetaindex();
  Status ReadFilterAndProperties();
  Status FindDataEnd();
  Status GetDataBlock(const ReadOptions& ro, const BlockHandle& handle,
                      std::shared_ptr<const Block>* block) const;
  Status Get(const ReadOptions& options, const LookupKey& key, GetState* state,
             std::string* value) const;
  Status VerifyChecksums() const;
  // Ok, or the IOError of a page of the mapping that could not be read: then whatever was read
  // from the mapping may be zeros and must not reach a caller.
  Status MappingStatus() const { return mapped ? file->MappingStatus() : Status::OK(); }
  // s, unless the mapping failed while s was computed: zeros may have made s anything (even a
  // checksum mismatch), so the mapping's error is the one to report. Every public entry point
  // that reads the file ends here.
  Status AfterMappedReads(Status s) const {
    if (Status m = MappingStatus(); !m.ok()) return m;
    return s;
  }
  // An iterator over the data block named by an index entry's value (or carrying the error).
  std::unique_ptr<InternalIterator> NewDataBlockIterator(const ReadOptions& ro,
                                                         std::string_view index_value) const;
};

Status Table::Rep::ReadFooter(uint64_t file_size) {
  if (file_size < Footer::kEncodedLength) {
    return Corruption("file too short to be an SST (" + std::to_string(file_size) + " bytes)");
  }
  const uint64_t footer_offset = file_size - Footer::kEncodedLength;
  char scratch[Footer::kEncodedLength];
  std::string_view got;
  Status s = file->Read(footer_offset, Footer::kEncodedLength, &got, scratch);
  if (!s.ok()) return s.WithContext(*file_name + ": reading footer");
  if (got.size() != Footer::kEncodedLength) {
    return Corruption("truncated footer read at offset " + std::to_string(footer_offset));
  }
  s = footer.DecodeFrom(got, footer_offset);
  if (!s.ok()) return s.WithContext(*file_name);
  source = BlockSource{file.get(), *file_name, footer_offset};
  return Status::OK();
}

Status Table::Rep::ReadMetaindex() {
  std::shared_ptr<const Block> metaindex;
  Status s = ReadVerifiedBlock(footer.metaindex_handle, &metaindex);
  if (!s.ok()) return s;
  BlockIter it(BytewiseComparator(), metaindex.get());
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (it.key() == kFilterBlockName) {
      s = DecodeHandle(it.value(), &filter_handle);
      has_filter = true;
    } else if (it.key() == kPropertiesBlockName) {
      s = DecodeHandle(it.value(), &properties_handle);
      has_properties = true;
    }
    if (!s.ok()) return s;
  }
  return it.status();
}

Status Table::Rep::ReadFilterAndProperties() {
  if (has_filter) {
    BlockContents contents;  // a filter is not a block of entries: only its bytes are used
    Status s = ReadBlock(source, filter_handle, /*verify_checksum=*/true, &contents);
    if (!s.ok()) return s;
    filter = BloomFilterReader::Create(contents.data);
    if (filter == nullptr) {
      return Corruption("malformed bloom filter block at offset " +
                        std::to_string(filter_handle.offset()));
    }
  }
  if (has_properties) {
    std::shared_ptr<const Block> block;
    Status s = ReadVerifiedBlock(properties_handle, &block);
    if (s.ok()) s = DecodeProperties(*block, *file_name, &props);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status Table::Rep::FindDataEnd() {
  BlockIter it(cmp(), index_block.get());
  it.SeekToLast();
  if (!it.Valid()) return it.status();
  BlockHandle last;
  Status s = DecodeHandle(it.value(), &last);
  if (s.ok()) data_end = last.offset() + last.size() + kBlockTrailerSize;
  return s;
}

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   uint64_t file_size, std::string file_name, std::shared_ptr<Table>* table) {
  table->reset();
  if (options.comparator == nullptr) {
    return Status::InvalidArgument("TableOptions.comparator: must be set");
  }
  auto rep = std::make_unique<Rep>();
  rep->options = options;
  rep->mapped = file->IsMemoryMapped();
  rep->file = std::move(file);
  rep->file_name = std::make_shared<const std::string>(std::move(file_name));

  Status s = rep->ReadFooter(file_size);
  if (s.ok()) s = rep->ReadMetaindex();
  if (s.ok()) s = rep->ReadVerifiedBlock(rep->footer.index_handle, &rep->index_block);
  if (s.ok()) s = rep->ReadFilterAndProperties();
  if (s.ok()) s = rep->FindDataEnd();
  s = rep->AfterMappedReads(std::move(s));
  if (!s.ok()) return s;
  if (rep->options.block_cache != nullptr) rep->cache_id = rep->options.block_cache->NewId();
  *table = std::shared_ptr<Table>(new Table(std::move(rep)));
  return Status::OK();
}

Table::Table(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Table::~Table() = default;

Status Table::Rep::GetDataBlock(const ReadOptions& ro, const BlockHandle& handle,
                                std::shared_ptr<const Block>* block) const {
  Cache* const cache = options.block_cache.get();
  char key[16];
  // Uncompressed blocks of a mapped file are read in place and never cached (see below).
  const bool skip_lookup =
      source.file->IsMemoryMapped() && options.compression == CompressionType::kNone;
  if (cache != nullptr) {
    EncodeFixed64(key, cache_id);
    EncodeFixed64(key + 8, handle.offset());
  }
  if (cache != nullptr && !skip_lookup) {
    std::shared_ptr<void> cached = cache->Lookup(std::string_view(key, sizeof(key)));
    if (cached != nullptr) {
      *block = std::static_pointer_cast<const Block>(std::move(cached));
      return Status::OK();
    }
  }
  // Blocks entering the cache are always verified: later readers may ask for verification.
  // Blocks read in place from a memory-mapped file never enter it: they view the mapping, which
  // goes away with the table, and reading them again costs no more than a cache lookup.
  const bool in_place = source.file->IsMemoryMapped();
  const bool fill = cache != nullptr && ro.fill_cache;
  BlockContents contents;
  Status s = ReadBlock(source, handle, ro.verify_checksums || (fill && !in_place), &contents);
  if (!s.ok()) return s;
  auto b = std::make_shared<Block>(std::move(contents), file_name, handle.offset());
  if (fill && b->owns_contents() && b->status().ok()) {
    cache->Insert(std::string_view(key, sizeof(key)), b, b->ApproximateMemoryUsage());
  }
  *block = std::move(b);
  return Status::OK();
}

std::unique_ptr<InternalIterator> Table::Rep::NewDataBlockIterator(
    const ReadOptions& ro, std::string_view index_value) const {
  BlockHandle handle;
  Status s = DecodeHandle(index_value, &handle);
  std::shared_ptr<const Block> block;
  if (s.ok()) s = GetDataBlock(ro, handle, &block);
  if (!s.ok()) return NewEmptyIterator(std::move(s));
  return NewBlockIterator(std::move(block), cmp());
}

namespace {

// A mapped table's iterator. After each move it touches the value's pages (the key's were read
// by the move itself), then checks the mapping: a page that failed to load reads as zeros, so
// the iteration ends with the mapping's IOError instead of handing zeros to the caller. status()
// checks again, so a page that fails after the last move (e.g. while a compaction copies the
// value) still fails the whole scan. The check per move is one load of the process-wide fault
// count; the file's own count is consulted only when that has changed.
class MappedTableIterator final : public InternalIterator {
 public:
  // file belongs to the table, which iter's block function holds.
  MappedTableIterator(std::unique_ptr<InternalIterator> iter, const RandomAccessFile* file,
                      uint64_t faults_seen)
      : iter_(std::move(iter)), file_(file), faults_seen_(faults_seen) {}

  bool Valid() const override { return status_.ok() && iter_->Valid(); }
  void SeekToFirst() override {
    iter_->SeekToFirst();
    Check();
  }
  void SeekToLast() override {
    iter_->SeekToLast();
    Check();
  }
  void Seek(std::string_view target) override {
    iter_->Seek(target);
    Check();
  }
  void Next() override {
    iter_->Next();
    Check();
  }
  void Prev() override {
    iter_->Prev();
    Check();
  }
  std::string_view key() const override { return iter_->key(); }
  std::string_view value() const override { return iter_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    if (Status s = file_->MappingStatus(); !s.ok()) return s;
    return iter_->status();
  }

 private:
  void Check() {
    if (iter_->Valid()) {
      const std::string_view v = iter_->value();
      if (!v.empty()) {
        const volatile char* p = v.data();
        for (size_t i = 0; i < v.size(); i += 4096) (void)p[i];
        (void)p[v.size() - 1];
      }
    }
    const uint64_t faults = mapped_region::TotalFaults();
    if (faults == faults_seen_) return;
    faults_seen_ = faults;
    if (Status s = file_->MappingStatus(); !s.ok() && status_.ok()) status_ = std::move(s);
  }

  std::unique_ptr<InternalIterator> iter_;
  const RandomAccessFile* file_;
  uint64_t faults_seen_;  // the process-wide fault count when the file was last checked
  Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> Table::NewIterator(const ReadOptions& options) const {
  // The block function holds the table: iterators may outlive every other handle on it.
  auto iter = NewTwoLevelIterator(
      NewBlockIterator(rep_->index_block, rep_->cmp()),
      [self = shared_from_this(), options](std::string_view index_value) {
        return self->rep_->NewDataBlockIterator(options, index_value);
      });
  if (!rep_->mapped) return iter;
  // Nothing has been read yet. A fault counted before faults_seen has failed the file already
  // and is caught here; one counted after it is caught by the iterator's first check.
  const uint64_t faults_seen = mapped_region::TotalFaults();
  if (Status s = rep_->MappingStatus(); !s.ok()) return NewEmptyIterator(std::move(s));
  return std::make_unique<MappedTableIterator>(std::move(iter), rep_->file.get(), faults_seen);
}

Status Table::Get(const ReadOptions& options, const LookupKey& key, GetState* state,
                  std::string* value) const {
  Status s = rep_->AfterMappedReads(rep_->Get(options, key, state, value));
  if (!s.ok()) {
    *state = GetState::kNotPresent;
    value->clear();
  }
  return s;
}

Status Table::Rep::Get(const ReadOptions& options, const LookupKey& key, GetState* state,
                       std::string* value) const {
  *state = GetState::kNotPresent;
  const Rep& rep = *this;
  if (rep.filter != nullptr && !rep.filter->KeyMayMatch(key.user_key())) return Status::OK();

  const std::string_view target = key.internal_key();
  BlockIter index_iter(rep.cmp(), rep.index_block.get());
  index_iter.Seek(target);
  if (!index_iter.Valid()) return index_iter.status();
  BlockHandle handle;
  Status s = rep.DecodeHandle(index_iter.value(), &handle);
  std::shared_ptr<const Block> block;
  if (s.ok()) s = rep.GetDataBlock(options, handle, &block);
  if (!s.ok()) return s;

  // The first entry >= target is in this block, or else its user key is greater than the
  // target's (the index separator lies between the two), so running off the block means absent.
  BlockIter it(rep.cmp(), block.get());
  it.Seek(target);
  if (!it.Valid()) return it.status();
  ParsedInternalKey parsed;
  if (!ParseInternalKey(it.key(), &parsed)) {
    return rep.Corruption("bad internal key in the block at offset " +
                          std::to_string(handle.offset()));
  }
  if (rep.options.comparator->user_comparator()->Compare(parsed.user_key, key.user_key()) != 0) {
    return Status::OK();
  }
  if (parsed.type == kTypeValue) {
    *state = GetState::kFound;
    value->assign(it.value().data(), it.value().size());
  } else {
    *state = GetState::kDeleted;
  }
  return Status::OK();
}

uint64_t Table::ApproximateOffsetOf(std::string_view internal_key) const {
  BlockIter it(rep_->cmp(), rep_->index_block.get());
  it.Seek(internal_key);
  BlockHandle handle;
  if (it.Valid() && rep_->DecodeHandle(it.value(), &handle).ok()) return handle.offset();
  // Past the last key (or a bad index entry): the end of the data.
  return rep_->data_end;
}

Status Table::VerifyChecksums() const { return rep_->AfterMappedReads(rep_->VerifyChecksums()); }

Status Table::Rep::VerifyChecksums() const {
  const Rep& rep = *this;
  Footer footer;
  char scratch[Footer::kEncodedLength];
  std::string_view got;
  Status s = rep.file->Read(rep.source.blocks_end, Footer::kEncodedLength, &got, scratch);
  if (!s.ok()) return s.WithContext(*rep.file_name + ": reading footer");
  if (got.size() != Footer::kEncodedLength) {
    return rep.Corruption("truncated footer read at offset " +
                          std::to_string(rep.source.blocks_end));
  }
  s = footer.DecodeFrom(got, rep.source.blocks_end);
  if (!s.ok()) return s.WithContext(*rep.file_name);

  std::shared_ptr<const Block> block;
  s = rep.ReadVerifiedBlock(rep.footer.metaindex_handle, &block);
  if (s.ok()) s = rep.ReadVerifiedBlock(rep.footer.index_handle, &block);
  if (s.ok() && rep.has_filter) {
    BlockContents contents;
    s = ReadBlock(rep.source, rep.filter_handle, /*verify_checksum=*/true, &contents);
  }
  if (s.ok() && rep.has_properties) s = rep.ReadVerifiedBlock(rep.properties_handle, &block);
  if (!s.ok()) return s;

  BlockIter index_iter(rep.cmp(), rep.index_block.get());
  for (index_iter.SeekToFirst(); index_iter.Valid(); index_iter.Next()) {
    BlockHandle handle;
    s = rep.DecodeHandle(index_iter.value(), &handle);
    if (s.ok()) s = rep.ReadVerifiedBlock(handle, &block);
    if (!s.ok()) return s;
    // Walk the entries too: a block can carry a valid checksum over malformed entries only if
    // the writer was broken, and that is worth knowing.
    BlockIter it(rep.cmp(), block.get());
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
    }
    if (!it.status().ok()) return it.status();
  }
  return index_iter.status();
}

Status Table::MappingStatus() const { return rep_->MappingStatus(); }

const TableProperties& Table::properties() const { return rep_->props; }

const std::string& Table::file_name() const { return *rep_->file_name; }

}  // namespace strata
