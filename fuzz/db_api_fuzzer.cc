// libFuzzer entry point of db_api_fuzzer; the target is RunDbApiTarget (db_api_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "db_api_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunDbApiTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
