#include "fs/crash_options.h"

namespace strata {

CrashOptions CrashOptions::Randomized(uint64_t seed) {
  Random rnd(seed);
  CrashOptions o;
  o.unsynced_data = static_cast<UnsyncedData>(rnd.Uniform(3));
  o.unsynced_fill = static_cast<Fill>(rnd.Uniform(3));
  o.unsynced_dir_changes = static_cast<DirChanges>(rnd.Uniform(3));
  o.seed = rnd.Next64();
  return o;
}

std::string SurvivingBytes(std::string_view durable, std::string_view unsynced,
                           const CrashOptions& options, Random* rnd) {
  size_t kept = 0;
  switch (options.unsynced_data) {
    case CrashOptions::UnsyncedData::kDrop:
      break;
    case CrashOptions::UnsyncedData::kKeepRandomPrefix:
      kept = unsynced.empty() ? 0 : static_cast<size_t>(rnd->Uniform(unsynced.size() + 1));
      break;
    case CrashOptions::UnsyncedData::kKeepAll:
      kept = unsynced.size();
      break;
  }
  std::string result(durable);
  switch (options.unsynced_fill) {
    case CrashOptions::Fill::kAsWritten:
      result.append(unsynced.substr(0, kept));
      break;
    case CrashOptions::Fill::kZeros:
      result.append(kept, '\0');
      break;
    case CrashOptions::Fill::kGarbage:
      for (size_t i = 0; i < kept; i++) result.push_back(static_cast<char>(rnd->Uniform(256)));
      break;
  }
  return result;
}

size_t SurvivingDirChanges(size_t n, const CrashOptions& options, Random* rnd) {
  switch (options.unsynced_dir_changes) {
    case CrashOptions::DirChanges::kUndo:
      return 0;
    case CrashOptions::DirChanges::kKeepRandomPrefix:
      return n == 0 ? 0 : static_cast<size_t>(rnd->Uniform(n + 1));
    case CrashOptions::DirChanges::kKeepAll:
      return n;
  }
  return 0;
}

}  // namespace strata
