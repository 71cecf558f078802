// Engine-independent measurements of what a benchmark cost the storage: the bytes this process
// sent towards storage (Linux /proc/self/io, summed over all its threads, so engines' background
// flushes and compactions count) and the space the DB directory takes.
#pragma once

#include <cstdint>
#include <string>

namespace strata::bench {

struct ProcessIo {
  bool available = false;  // false where /proc/self/io cannot be read
  // Bytes of page cache this process dirtied (accounted when a page is dirtied, so a page
  // rewritten after writeback counts again; on tmpfs it stays 0).
  uint64_t write_bytes = 0;
  // Bytes passed to write()-like system calls, whether or not they reach storage.
  uint64_t wchar = 0;
  // Dirty bytes that never reached storage because their file was truncated or deleted.
  uint64_t cancelled_write_bytes = 0;
};

ProcessIo ReadProcessIo();

struct DirectoryUsage {
  uint64_t bytes = 0;
  uint64_t files = 0;
};

// Sum of the sizes of the regular files under path (recursively). Files that vanish while it
// walks (compaction deletes them) are skipped.
DirectoryUsage MeasureDirectory(const std::string& path);

}  // namespace strata::bench
