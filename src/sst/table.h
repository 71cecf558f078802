// Table: a reader of one immutable SST file (docs/format.md "SST files").
//
// Open() reads and verifies the footer, the index block and the filter block, which stay in
// memory with the Table. Data blocks are read on demand (through the block cache when one is
// configured) and their checksums verified when ReadOptions::verify_checksums is set (always
// during compaction and VerifyChecksums()). Every error names the file and the block offset.
// Every length and offset read from the file is bounds-checked: a corrupt file yields
// Corruption, never a crash or a huge allocation.
//
// Thread safety: a Table may be used by any number of threads at once. Iterators it returns
// hold a reference to it (std::shared_ptr), so they may outlive the caller's handle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "sst/table_options.h"
#include "strata/file_system.h"
#include "strata/options.h"
#include "strata/status.h"

namespace strata {

// Summary of a table, stored in its properties block.
struct TableProperties {
  uint64_t num_entries = 0;
  uint64_t num_deletions = 0;
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  uint64_t data_bytes = 0;    // on-disk bytes of data blocks, trailers included
  uint64_t index_bytes = 0;
  uint64_t filter_bytes = 0;
  uint64_t num_data_blocks = 0;
  SequenceNumber smallest_seqno = 0;
  SequenceNumber largest_seqno = 0;
};

class Table : public std::enable_shared_from_this<Table> {
 public:
  enum class GetState { kNotPresent, kFound, kDeleted };

  // file_name is for error messages; file_size is the file's exact size (from the MANIFEST).
  static Status Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                     uint64_t file_size, std::string file_name, std::shared_ptr<Table>* table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // An iterator over the table's internal keys and values.
  std::unique_ptr<InternalIterator> NewIterator(const ReadOptions& options) const;

  // Point lookup of key.user_key() as of key's sequence: finds the first entry whose internal key
  // is >= key.internal_key(); if it has the same user key, *state is kFound (value in *value) or
  // kDeleted; otherwise kNotPresent. Consults the bloom filter first.
  Status Get(const ReadOptions& options, const LookupKey& key, GetState* state,
             std::string* value) const;

  // Approximate file offset where key's data would be (for size estimates).
  uint64_t ApproximateOffsetOf(std::string_view internal_key) const;

  // Reads and verifies every block of the file. The first failure is returned.
  Status VerifyChecksums() const;

  // Ok unless the table is read through a memory mapping and a page of it could not be read
  // (RandomAccessFile::MappingStatus): then every read of the table fails with that IOError,
  // and the table should be opened again.
  Status MappingStatus() const;

  const TableProperties& properties() const;
  const std::string& file_name() const;

 private:
  struct Rep;
  explicit Table(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace strata
