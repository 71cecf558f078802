#include "stress/posix_file.h"

#include <sys/mman.h>
#include <unistd.h>

namespace strata::stress {

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);  // nothing was written through the fd itself: nothing to report
  fd_ = -1;
}

bool SharedMapping::Map(int fd, size_t size) {
  Reset();
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return false;
  addr_ = addr;
  size_ = size;
  return true;
}

void SharedMapping::Reset() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
  addr_ = nullptr;
  size_ = 0;
}

}  // namespace strata::stress
