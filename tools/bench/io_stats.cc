#include "bench/io_stats.h"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace strata::bench {

ProcessIo ReadProcessIo() {
  ProcessIo io;
  std::ifstream in("/proc/self/io");
  if (!in) return io;
  std::string name;
  uint64_t value = 0;
  while (in >> name >> value) {
    if (name == "write_bytes:") {
      io.write_bytes = value;
      io.available = true;
    } else if (name == "wchar:") {
      io.wchar = value;
    } else if (name == "cancelled_write_bytes:") {
      io.cancelled_write_bytes = value;
    }
  }
  return io;
}

DirectoryUsage MeasureDirectory(const std::string& path) {
  namespace fs = std::filesystem;
  DirectoryUsage usage;
  std::error_code ec;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) || entry_ec) continue;
    const uintmax_t size = it->file_size(entry_ec);
    if (entry_ec) continue;
    usage.bytes += size;
    usage.files++;
  }
  return usage;
}

}  // namespace strata::bench
