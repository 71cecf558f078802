// libFuzzer entry point of table_fuzzer; the target is RunTableTarget (table_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "table_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunTableTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
