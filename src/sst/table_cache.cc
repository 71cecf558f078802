#include "sst/table_cache.h"

#include <algorithm>
#include <utility>

#include "db/filename.h"
#include "util/coding.h"

namespace strata {
namespace {

// Every Get goes through this cache, so it is sharded unless it is too small for shards of a
// useful size (an unlucky hash spread would then evict tables that fit the capacity).
int TableCacheShardBits(int capacity) {
  int bits = 0;
  while (bits < 4 && (capacity >> (bits + 1)) >= 32) bits++;
  return bits;
}

}  // namespace

TableCache::TableCache(std::string dbname, FileSystem* fs, const TableOptions& options,
                       int capacity)
    : dbname_(std::move(dbname)),
      fs_(fs),
      options_(options),
      cache_(NewLRUCache(static_cast<size_t>(std::max(capacity, 1)),
                         TableCacheShardBits(std::max(capacity, 1)))) {}

TableCache::~TableCache() = default;

Status TableCache::FindTable(uint64_t file_number, uint64_t file_size,
                             std::shared_ptr<Table>* table) {
  char key[8];
  EncodeFixed64(key, file_number);
  const std::string_view cache_key(key, sizeof(key));
  if (std::shared_ptr<void> cached = cache_->Lookup(cache_key)) {
    *table = std::static_pointer_cast<Table>(std::move(cached));
    if ((*table)->MappingStatus().ok()) return Status::OK();
    // A page of its mapping failed (and now reads as zeros): map the file afresh, so that an
    // error that has passed does not stick. Readers still holding the old table keep failing.
    table->reset();
    cache_->Erase(cache_key);
  }
  // Two threads missing at once both open the file; the second insert replaces the first, and
  // both readers stay valid. Failures are not cached: a later call retries.
  std::string fname = TableFileName(dbname_, file_number);
  std::unique_ptr<RandomAccessFile> file;
  Status s = options_.use_mmap_reads ? fs_->NewMemoryMappedFile(fname, &file)
                                     : fs_->NewRandomAccessFile(fname, &file);
  if (!s.ok()) return s;
  std::shared_ptr<Table> opened;
  s = Table::Open(options_, std::move(file), file_size, std::move(fname), &opened);
  if (!s.ok()) return s;
  cache_->Insert(cache_key, opened, 1);
  *table = std::move(opened);
  return Status::OK();
}

std::unique_ptr<InternalIterator> TableCache::NewIterator(const ReadOptions& options,
                                                          uint64_t file_number,
                                                          uint64_t file_size) {
  std::shared_ptr<Table> table;
  Status s = FindTable(file_number, file_size, &table);
  if (!s.ok()) return NewEmptyIterator(std::move(s));
  return table->NewIterator(options);  // holds its own reference to the table
}

Status TableCache::Get(const ReadOptions& options, uint64_t file_number, uint64_t file_size,
                       const LookupKey& key, Table::GetState* state, std::string* value) {
  std::shared_ptr<Table> table;
  Status s = FindTable(file_number, file_size, &table);
  if (!s.ok()) return s;
  return table->Get(options, key, state, value);
}

void TableCache::Evict(uint64_t file_number) {
  char key[8];
  EncodeFixed64(key, file_number);
  cache_->Erase(std::string_view(key, sizeof(key)));
}

}  // namespace strata
