// libFuzzer entry point of version_edit_fuzzer; the target is RunVersionEditTarget
// (version_edit_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "version_edit_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunVersionEditTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
