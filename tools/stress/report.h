// How strata_stress reports failures: one message on stderr, then an exit code that says what
// kind of failure it was. Failures end the process at once (std::_Exit): other threads may be in
// the middle of DB calls, and the DB directory is left exactly as it was, as after a crash, for
// inspection.
#pragma once

#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::stress {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;         // bad flags, unusable oracle file
inline constexpr int kExitVerification = 2;  // the DB returned something it must not
inline constexpr int kExitStatus = 3;        // a strata call failed unexpectedly

// The command line that reruns this process; printed with every failure.
void SetReplayCommand(std::string command);

[[noreturn]] void FailVerification(std::string_view message);
[[noreturn]] void FailStatus(std::string_view operation, const Status& s);
[[noreturn]] void FailUsage(std::string_view message);

inline void CheckOk(const Status& s, std::string_view operation) {
  if (!s.ok()) FailStatus(operation, s);
}

// "key 42 (k0000000042.xyz)": the index and the key as stored.
std::string DescribeKey(uint64_t index);

}  // namespace strata::stress
