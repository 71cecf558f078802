// Block compression codecs (docs/format.md (Part III) "Compression"). The compression type byte of a
// block trailer is the CompressionType value (strata/options.h): 0 none, 1 snappy (raw snappy
// format), 2 zstd (one zstd frame that records its content size).
//
// Thread safety: all functions may be called concurrently (codec contexts are per thread).
#pragma once

#include <string>
#include <string_view>

#include "sst/format.h"
#include "strata/options.h"
#include "strata/status.h"

namespace strata {

// True if this build can compress and uncompress blocks of this type (kNone always).
bool CompressionTypeSupported(CompressionType type);

// Compresses raw into *out (replacing its contents). Returns false if the type is kNone or not
// supported by this build, or the codec failed; *out is then unspecified.
bool CompressBlock(CompressionType type, std::string_view raw, std::string* out);

// Uncompresses a block whose trailer says `type` (not kNone). Rejects a claimed uncompressed size
// above kMaxUncompressedBlockSize before allocating. Errors (Corruption for damaged input,
// NotSupported for a codec missing from this build) carry no file name: the caller adds it.
Status UncompressBlock(uint8_t type, std::string_view compressed, BlockContents* result);

}  // namespace strata
