// libFuzzer entry point of block_fuzzer; the target is RunBlockTarget (block_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "block_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunBlockTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
