// Settings shared by TableBuilder and Table (taken from Options when the DB opens).
#pragma once

#include <cstddef>
#include <memory>

#include "db/dbformat.h"
#include "strata/options.h"
#include "util/cache.h"

namespace strata {

struct TableOptions {
  // Orders the internal keys stored in the table. Must outlive builders and tables.
  const InternalKeyComparator* comparator = nullptr;
  size_t block_size = 4096;
  int block_restart_interval = 16;
  // 0: no filter block.
  int bloom_bits_per_key = 10;
  CompressionType compression = CompressionType::kNone;
  // Open files with FileSystem::NewMemoryMappedFile (Options::use_mmap_reads).
  bool use_mmap_reads = true;
  // Shared block cache; null disables caching of data blocks.
  std::shared_ptr<Cache> block_cache;
};

}  // namespace strata
