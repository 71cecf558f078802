// strata/options.h — how a DB is opened, read and written.
//
// Every field has a safe default. DB::Open validates Options and fails with InvalidArgument
// naming the offending field ("Options.block_size: must be in [256, 64 MiB], got 10").
//
// Lifetime: pointers held by Options (comparator, file_system) must outlive the DB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace strata {

class Comparator;
class FileSystem;
class Snapshot;

// The largest key and value strata accepts; larger ones fail with InvalidArgument.
inline constexpr size_t kMaxKeySize = size_t{1} << 20;     // 1 MiB
inline constexpr size_t kMaxValueSize = size_t{256} << 20;  // 256 MiB

// The number of levels of the LSM tree (L0..L6). Fixed: it is part of the on-disk format.
inline constexpr int kNumLevels = 7;

enum class CompressionType : unsigned char {
  kNone = 0,
  kSnappy = 1,  // NotSupported on Open when strata was built without snappy
  kZstd = 2,    // NotSupported on Open when strata was built without zstd
};

struct Options {
  // ---- Opening ----
  // Create the DB if the path does not hold one.
  bool create_if_missing = false;
  // Fail Open if the path already holds a DB.
  bool error_if_exists = false;
  // Read back every freshly written SST (flush and compaction output), verifying the checksum of
  // every block and the entry count, before the MANIFEST refers to it. (Open fails on any
  // corruption it finds whatever this says: recovery never skips damage.)
  bool paranoid_checks = true;

  // The key order. Default: BytewiseComparator(). Persisted and checked on Open.
  const Comparator* comparator = nullptr;
  // Where files live. Default (null): DefaultFileSystem().
  std::shared_ptr<FileSystem> file_system;

  // ---- Memtable ----
  // Bytes of writes buffered in one memtable before it is frozen and flushed to an L0 SST.
  size_t write_buffer_size = size_t{64} << 20;
  // Memtables (active + frozen) held at most; writers wait when all are full and unflushed.
  int max_write_buffer_number = 2;

  // ---- SST files ----
  // Approximate uncompressed bytes of user data per data block.
  size_t block_size = 4096;
  // Keys between restart points of a data block's prefix compression.
  int block_restart_interval = 16;
  // Bloom filter bits per key; 0 builds no filters.
  int bloom_bits_per_key = 10;
  // Byte budget of the block cache shared by all tables of this DB; 0 disables it.
  size_t block_cache_size = size_t{8} << 20;
  // Number of SST readers kept open.
  int max_open_files = 1000;
  // Compression of data blocks.
  CompressionType compression = CompressionType::kNone;
  // Read SST files through memory mappings (FileSystem::NewMemoryMappedFile): no system call or
  // copy per block read, and uncompressed blocks are read in place rather than through the
  // block cache (compressed ones are still cached once decompressed). A page the kernel cannot
  // read (disk I/O error, or the file truncated behind strata's back) raises SIGBUS; the POSIX
  // file system handles it for its own mappings, so the read fails with an IOError Status naming
  // the file instead of killing the process (docs/durability.md, "I/O errors of mapped reads").
  // The handler is installed when the first table is mapped and passes every other SIGBUS to the
  // handler installed before it; an application that installs its own SIGBUS handler later must
  // chain to the previous one, or set this to false. false: every block is read with pread.
  bool use_mmap_reads = true;

  // ---- Level sizing and compaction ----
  // L0 file count that triggers an L0->L1 compaction.
  int level0_file_num_compaction_trigger = 4;
  // L0 file count at which each write is delayed a little, to let compaction catch up.
  int level0_slowdown_writes_trigger = 20;
  // L0 file count at which writes wait for compaction.
  int level0_stop_writes_trigger = 36;
  // Target total size of L1; level N+1 targets max_bytes_for_level_multiplier times level N.
  uint64_t max_bytes_for_level_base = uint64_t{256} << 20;
  double max_bytes_for_level_multiplier = 10.0;
  // Target size of one SST produced by compaction.
  uint64_t target_file_size_base = uint64_t{64} << 20;
};

struct ReadOptions {
  // Read as of this snapshot (from DB::GetSnapshot). Null: the latest state at the call (for an
  // iterator: at its creation).
  const Snapshot* snapshot = nullptr;
  // Verify the checksum of every SST data block this operation reads. false skips the check
  // only for blocks read from the file and not kept in the block cache: blocks entering the
  // cache are always verified, as are an SST's footer, index and filter (when it is opened),
  // compaction inputs, and every WAL and MANIFEST record.
  bool verify_checksums = true;
  // Keep blocks read by this operation in the block cache.
  bool fill_cache = true;
};

struct WriteOptions {
  // false: the write is in the operating system before the call returns — a process crash loses
  //        nothing acknowledged; a machine crash may lose the most recent writes (never a hole).
  // true:  the WAL is fsynced before the call returns — nothing acknowledged is ever lost.
  bool sync = false;
};

}  // namespace strata
