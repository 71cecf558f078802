// libFuzzer entry point of db_open_fuzzer; the target is RunDbOpenTarget (db_open_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "db_open_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunDbOpenTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
