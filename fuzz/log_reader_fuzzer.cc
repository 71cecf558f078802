// libFuzzer entry point of log_reader_fuzzer; the target is RunLogReaderTarget
// (log_reader_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "log_reader_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunLogReaderTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
