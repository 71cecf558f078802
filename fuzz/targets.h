// Every fuzz target, by name: what tests/fuzz_regression_test.cc replays. Each target is a
// function of the whole input (fuzz/<name>_target.h); fuzz/<name>_fuzzer.cc wraps one for
// libFuzzer.
#pragma once

#include <array>
#include <string_view>

#include "block_target.h"
#include "bloom_target.h"
#include "db_api_target.h"
#include "db_open_target.h"
#include "log_reader_target.h"
#include "table_target.h"
#include "version_edit_target.h"
#include "write_batch_target.h"

namespace strata::fuzz {

struct FuzzTarget {
  std::string_view name;  // the fuzzer's name, and its directory under fuzz/corpus/
  void (*run)(std::string_view input);
};

inline constexpr std::array<FuzzTarget, 8> kFuzzTargets = {{
    {"block_fuzzer", &RunBlockTarget},
    {"bloom_fuzzer", &RunBloomTarget},
    {"db_api_fuzzer", &RunDbApiTarget},
    {"db_open_fuzzer", &RunDbOpenTarget},
    {"log_reader_fuzzer", &RunLogReaderTarget},
    {"table_fuzzer", &RunTableTarget},
    {"version_edit_fuzzer", &RunVersionEditTarget},
    {"write_batch_fuzzer", &RunWriteBatchTarget},
}};

}  // namespace strata::fuzz
