#include "stress/expected_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace strata::stress {
namespace {

// File layout: one 4 KiB header page, then kWordsPerKey 64-bit words per key. Host byte order:
// the file never leaves the machine that wrote it.
constexpr uint64_t kMagic = 0x5058455f41525453ULL;  // "STRA_EXP" little-endian
constexpr uint64_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 4096;
constexpr uint64_t kWordsPerKey = 4;
enum HeaderWordIndex : size_t {
  kMagicWord = 0,
  kFormatWord = 1,
  kNumKeysWord = 2,
  kNextBatchWord = 3,
  kRunsWord = 4,
  kAcknowledgedWord = 5,
};

size_t FileSize(uint64_t num_keys) { return kHeaderBytes + num_keys * kWordsPerKey * 8; }

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path, std::strerror(errno));
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Creates a fresh oracle atomically (temp file, then rename) so that a kill -9 during creation
// never leaves a half-initialized file behind.
Status CreateFresh(const std::string& path, uint64_t num_keys) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Errno("cannot create", tmp);
  if (::ftruncate(fd.get(), static_cast<off_t>(FileSize(num_keys))) != 0) {
    return Errno("cannot size", tmp);
  }
  uint64_t header[6] = {kMagic, kFormatVersion, num_keys, 1, 0, 0};
  if (::pwrite(fd.get(), header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    return Errno("cannot write header of", tmp);
  }
  if (::fsync(fd.get()) != 0) return Errno("cannot fsync", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename to", path);
  UniqueFd dir(::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || ::fsync(dir.get()) != 0) return Errno("cannot fsync directory of", path);
  return Status::OK();
}

Status ReadHeader(int fd, const std::string& path, uint64_t* num_keys) {
  uint64_t header[3] = {};
  if (::pread(fd, header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    return Status::Corruption(path, "expected-state file too short for its header");
  }
  if (header[kMagicWord] != kMagic) {
    return Status::Corruption(path, "not an expected-state file (bad magic)");
  }
  if (header[kFormatWord] != kFormatVersion) {
    return Status::NotSupported(path, "expected-state format " + std::to_string(header[1]));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("cannot stat", path);
  const uint64_t n = header[kNumKeysWord];
  if (n > (uint64_t{1} << 36) || static_cast<uint64_t>(st.st_size) < FileSize(n)) {
    return Status::Corruption(path, "expected-state file shorter than its key count says");
  }
  *num_keys = n;
  return Status::OK();
}

}  // namespace

std::string KeyState::ToString() const {
  if (raw_ == 0) return "absent (never written)";
  return (exists() ? "present v" : "deleted v") + std::to_string(version());
}

Status ExpectedState::Open(const std::string& path, uint64_t num_keys,
                           std::unique_ptr<ExpectedState>* out) {
  out->reset();
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) {
    Status s = CreateFresh(path, num_keys);
    if (!s.ok()) return s;
    fd = UniqueFd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  }
  if (!fd.valid()) return Errno("cannot open", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return errno == EWOULDBLOCK ? Status::Busy(path, "expected state is in use by another process")
                                : Errno("cannot lock", path);
  }
  uint64_t file_keys = 0;
  Status s = ReadHeader(fd.get(), path, &file_keys);
  if (!s.ok()) return s;
  // Growing first and raising the key count after means a crash in between leaves a longer file
  // with the old count, which is still valid.
  const uint64_t keys = std::max(file_keys, num_keys);
  if (keys > file_keys && ::ftruncate(fd.get(), static_cast<off_t>(FileSize(keys))) != 0) {
    return Errno("cannot grow", path);
  }
  SharedMapping mapping;
  if (!mapping.Map(fd.get(), FileSize(keys))) return Errno("cannot mmap", path);
  out->reset(new ExpectedState(std::move(fd), std::move(mapping), keys));
  (*out)->HeaderWord(kNumKeysWord).store(keys);
  (*out)->HeaderWord(kRunsWord).fetch_add(1);
  return Status::OK();
}

Status ExpectedState::Remove(const std::string& path) {
  for (const std::string& p : {path, path + ".tmp"}) {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", p);
  }
  return Status::OK();
}

uint64_t* ExpectedState::Word(uint64_t key, Field field) const {
  auto* base = static_cast<uint64_t*>(mapping_.data());
  return base + kHeaderBytes / 8 + key * kWordsPerKey + field;
}

std::atomic_ref<uint64_t> ExpectedState::HeaderWord(size_t i) const {
  return std::atomic_ref<uint64_t>(static_cast<uint64_t*>(mapping_.data())[i]);
}

void ExpectedState::BeginWrite(uint64_t key, KeyState target, uint64_t batch_id) {
  // high first: a reader that sees the pending write in the DB must find high >= its version.
  Store(key, kHigh, target.version());
  Store(key, kPendingBatch, batch_id);
  Store(key, kPending, target.raw());
}

void ExpectedState::FinishWrite(uint64_t key) {
  // committed before clearing pending: a crash in between leaves both equal, which is exact.
  Store(key, kCommitted, Load(key, kPending));
  Store(key, kPending, 0);
  Store(key, kPendingBatch, 0);
}

void ExpectedState::Resolve(uint64_t key, KeyState found) {
  // Keep committed's own version when the DB matched it: a never-written key stays raw 0.
  if (!Committed(key).Matches(found)) Store(key, kCommitted, Pending(key).raw());
  Store(key, kPending, 0);
  Store(key, kPendingBatch, 0);
}

uint64_t ExpectedState::NewBatchId() { return HeaderWord(kNextBatchWord).fetch_add(1); }

void ExpectedState::AddAcknowledged(uint64_t n) { HeaderWord(kAcknowledgedWord).fetch_add(n); }

uint64_t ExpectedState::acknowledged() const { return HeaderWord(kAcknowledgedWord).load(); }

uint64_t ExpectedState::runs() const { return HeaderWord(kRunsWord).load(); }

}  // namespace strata::stress
