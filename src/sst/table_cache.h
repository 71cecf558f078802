// TableCache: keeps open Table readers of a DB's SST files, at most `capacity` of them
// (Options::max_open_files), evicting least recently used ones.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sst/table.h"
#include "sst/table_options.h"
#include "strata/file_system.h"
#include "strata/options.h"
#include "strata/status.h"
#include "util/cache.h"

namespace strata {

class TableCache {
 public:
  // fs and the objects behind options must outlive the cache.
  TableCache(std::string dbname, FileSystem* fs, const TableOptions& options, int capacity);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;
  ~TableCache();

  // The open table for file_number (opening it if needed).
  Status FindTable(uint64_t file_number, uint64_t file_size, std::shared_ptr<Table>* table);

  // An iterator over the table; on error an empty iterator carrying the error.
  std::unique_ptr<InternalIterator> NewIterator(const ReadOptions& options, uint64_t file_number,
                                                uint64_t file_size);

  // Table::Get on the table for file_number.
  Status Get(const ReadOptions& options, uint64_t file_number, uint64_t file_size,
             const LookupKey& key, Table::GetState* state, std::string* value);

  // Drops the reader of a deleted file.
  void Evict(uint64_t file_number);

  const TableOptions& table_options() const { return options_; }

 private:
  const std::string dbname_;
  FileSystem* const fs_;
  const TableOptions options_;
  std::shared_ptr<Cache> cache_;
};

}  // namespace strata
