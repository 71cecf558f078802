// Flush and compaction execution: turning sorted input into durable SST files.
//
// Both run without the DB mutex. Each output file is written, synced and closed, and (with
// Options::paranoid_checks) read back with every block verified, before it is reported: the
// caller then records it in the MANIFEST (durability rule 1). On failure the outputs written so
// far are deleted and nothing is reported.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "strata/file_system.h"
#include "strata/options.h"
#include "strata/status.h"
#include "version/version_edit.h"

namespace strata {

class Compaction;
class TableCache;

struct JobContext {
  std::string dbname;
  FileSystem* fs = nullptr;
  const Options* options = nullptr;
  const InternalKeyComparator* icmp = nullptr;
  TableCache* table_cache = nullptr;
  // Allocates a file number for an output and protects it from obsolete-file deletion until the
  // job's result is installed or abandoned. Thread-safe.
  std::function<uint64_t()> new_output_number;
  // Set when the DB is closing: jobs stop early with an IOError-free "shutting down" status.
  const std::atomic<bool>* shutting_down = nullptr;
};

struct JobStats {
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t entries_read = 0;
  uint64_t entries_dropped = 0;
  uint64_t files_written = 0;
};

// Writes the entries of a memtable iterator to one L0 table. meta->number is 0 (and no file
// exists) if every entry was dropped or the input was empty.
Status FlushToTable(const JobContext& ctx, InternalIterator* input,
                    const std::vector<SequenceNumber>& snapshots, FileMetaData* meta,
                    JobStats* stats);

// Runs compaction c, appending the descriptions of its output files to *outputs.
Status RunCompaction(const JobContext& ctx, Compaction* c,
                     const std::vector<SequenceNumber>& snapshots,
                     std::vector<FileMetaData>* outputs, JobStats* stats);

}  // namespace strata
