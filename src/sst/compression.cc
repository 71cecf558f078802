#include "sst/compression.h"

#include <cstring>
#include <memory>

#ifdef STRATA_HAVE_SNAPPY
#include <snappy.h>
#endif
#ifdef STRATA_HAVE_ZSTD
#include <zstd.h>
#endif

namespace strata {
namespace {

#ifdef STRATA_HAVE_ZSTD
// Level 3 is zstd's own default: most of the ratio of higher levels at a fraction of the time.
constexpr int kZstdLevel = 3;

struct ZstdCCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// Contexts are reused per thread: creating one costs far more than compressing a 4 KiB block.
ZSTD_CCtx* ThreadZstdCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxFree> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadZstdDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxFree> ctx(ZSTD_createDCtx());
  return ctx.get();
}

bool ZstdCompress(std::string_view raw, std::string* out) {
  ZSTD_CCtx* ctx = ThreadZstdCCtx();
  if (ctx == nullptr) return false;
  out->resize(ZSTD_compressBound(raw.size()));
  const size_t n =
      ZSTD_compressCCtx(ctx, out->data(), out->size(), raw.data(), raw.size(), kZstdLevel);
  if (ZSTD_isError(n)) return false;
  out->resize(n);
  return true;
}

Status ZstdUncompress(std::string_view in, BlockContents* result) {
  const unsigned long long claimed = ZSTD_getFrameContentSize(in.data(), in.size());
  if (claimed == ZSTD_CONTENTSIZE_UNKNOWN || claimed == ZSTD_CONTENTSIZE_ERROR) {
    return Status::Corruption("zstd block without a valid frame header");
  }
  if (claimed > kMaxUncompressedBlockSize) {
    return Status::Corruption("zstd block claims an uncompressed size of " +
                              std::to_string(claimed) + " bytes");
  }
  ZSTD_DCtx* ctx = ThreadZstdDCtx();
  if (ctx == nullptr) return Status::IOError("cannot allocate a zstd context");
  const auto size = static_cast<size_t>(claimed);
  auto buf = std::make_unique_for_overwrite<char[]>(size == 0 ? 1 : size);
  const size_t n = ZSTD_decompressDCtx(ctx, buf.get(), size, in.data(), in.size());
  if (ZSTD_isError(n) || n != size) return Status::Corruption("corrupt zstd block");
  result->data = std::string_view(buf.get(), size);
  result->heap = std::move(buf);
  return Status::OK();
}
#endif  // STRATA_HAVE_ZSTD

#ifdef STRATA_HAVE_SNAPPY
Status SnappyUncompress(std::string_view in, BlockContents* result) {
  size_t size = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &size)) {
    return Status::Corruption("corrupt snappy block length");
  }
  if (size > kMaxUncompressedBlockSize) {
    return Status::Corruption("snappy block claims an uncompressed size of " +
                              std::to_string(size) + " bytes");
  }
  auto buf = std::make_unique_for_overwrite<char[]>(size == 0 ? 1 : size);
  if (!snappy::RawUncompress(in.data(), in.size(), buf.get())) {
    return Status::Corruption("corrupt snappy block");
  }
  result->data = std::string_view(buf.get(), size);
  result->heap = std::move(buf);
  return Status::OK();
}
#endif  // STRATA_HAVE_SNAPPY

}  // namespace

bool CompressionTypeSupported(CompressionType type) {
  switch (type) {
    case CompressionType::kNone:
      return true;
    case CompressionType::kSnappy:
#ifdef STRATA_HAVE_SNAPPY
      return true;
#else
      return false;
#endif
    case CompressionType::kZstd:
#ifdef STRATA_HAVE_ZSTD
      return true;
#else
      return false;
#endif
  }
  return false;
}

bool CompressBlock(CompressionType type, std::string_view raw, std::string* out) {
  switch (type) {
    case CompressionType::kNone:
      return false;
    case CompressionType::kSnappy:
#ifdef STRATA_HAVE_SNAPPY
      out->resize(snappy::MaxCompressedLength(raw.size()));
      {
        size_t n = 0;
        snappy::RawCompress(raw.data(), raw.size(), out->data(), &n);
        out->resize(n);
      }
      return true;
#else
      return false;
#endif
    case CompressionType::kZstd:
#ifdef STRATA_HAVE_ZSTD
      return ZstdCompress(raw, out);
#else
      return false;
#endif
  }
  return false;
}

Status UncompressBlock(uint8_t type, std::string_view compressed, BlockContents* result) {
  switch (type) {
    case static_cast<uint8_t>(CompressionType::kSnappy):
#ifdef STRATA_HAVE_SNAPPY
      return SnappyUncompress(compressed, result);
#else
      return Status::NotSupported("block is snappy-compressed; strata was built without snappy");
#endif
    case static_cast<uint8_t>(CompressionType::kZstd):
#ifdef STRATA_HAVE_ZSTD
      return ZstdUncompress(compressed, result);
#else
      return Status::NotSupported("block is zstd-compressed; strata was built without zstd");
#endif
    default:
      return Status::Corruption("unknown block compression type " + std::to_string(type));
  }
}

}  // namespace strata
