// libFuzzer entry point of bloom_fuzzer; the target is RunBloomTarget (bloom_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bloom_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunBloomTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
