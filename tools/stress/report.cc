#include "stress/report.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "stress/key_value.h"

namespace strata::stress {
namespace {

std::mutex& ReportMutex() {
  static std::mutex mu;
  return mu;
}

std::string& ReplayCommand() {
  static std::string command;
  return command;
}

// Holding the mutex until _Exit keeps a second failing thread from interleaving its message.
[[noreturn]] void Die(int code, std::string_view kind, std::string_view message) {
  ReportMutex().lock();
  std::fprintf(stderr, "strata_stress: %.*s: %.*s\n", static_cast<int>(kind.size()), kind.data(),
               static_cast<int>(message.size()), message.data());
  if (!ReplayCommand().empty()) {
    std::fprintf(stderr, "strata_stress: replay with: %s\n", ReplayCommand().c_str());
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(code);
}

}  // namespace

void SetReplayCommand(std::string command) {
  std::lock_guard<std::mutex> lock(ReportMutex());
  ReplayCommand() = std::move(command);
}

void FailVerification(std::string_view message) {
  Die(kExitVerification, "VERIFICATION FAILURE", message);
}

void FailStatus(std::string_view operation, const Status& s) {
  Die(kExitStatus, "UNEXPECTED STATUS", std::string(operation) + ": " + s.ToString());
}

void FailUsage(std::string_view message) { Die(kExitUsage, "error", message); }

std::string DescribeKey(uint64_t index) {
  return "key " + std::to_string(index) + " (" + KeyFor(index) + ")";
}

}  // namespace strata::stress
