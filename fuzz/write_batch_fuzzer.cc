// libFuzzer entry point of write_batch_fuzzer; the target is RunWriteBatchTarget
// (write_batch_target.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "write_batch_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::fuzz::RunWriteBatchTarget(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
