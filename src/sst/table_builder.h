// TableBuilder writes a sorted table (SST) to a file (docs/format.md "SST files").
//
// Keys are internal keys added in strictly increasing order (TableOptions::comparator). The
// builder writes data blocks as they fill, then on Finish() the filter block (a bloom filter over
// the user keys), the properties block, the metaindex block, the index block and the footer.
// Every block carries a trailer: compression type and checksum.
//
// Finish() does not sync or close the file: the caller syncs it (durability rule 1) and closes
// it. After an error, status() keeps it and further calls do nothing.
//
// Thread safety: one thread at a time. The file must outlive the builder.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "sst/table_options.h"
#include "strata/file_system.h"
#include "strata/status.h"

namespace strata {

class TableBuilder {
 public:
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  ~TableBuilder();

  // REQUIRES: key is a valid internal key, greater than every key added before; not finished.
  void Add(std::string_view key, std::string_view value);
  Status status() const;
  // Writes the rest of the table. REQUIRES: not finished or abandoned.
  Status Finish();
  // Stops building; the caller deletes the file.
  void Abandon();

  uint64_t NumEntries() const;
  // File size so far (after Finish: the final size).
  uint64_t FileSize() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace strata
