// strata/status.h — the result of every fallible strata operation.
//
// A Status is either ok or carries a code and a message that says what failed and where (a file
// name, an offset, an option name). strata never throws across its API; every fallible call
// returns a Status, and the type is [[nodiscard]] so that an ignored result is a compiler warning.
//
// Thread safety: a Status is a value; distinct objects may be used from distinct threads freely,
// and const methods on one object may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace strata {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,
    kNotSupported = 3,
    kInvalidArgument = 4,
    kIOError = 5,
    kBusy = 6,
  };

  // An ok status. Cheap: holds no allocation.
  Status() noexcept = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&& other) noexcept = default;
  Status& operator=(Status&& other) noexcept = default;
  ~Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNotFound, msg, msg2);
  }
  static Status Corruption(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kCorruption, msg, msg2);
  }
  static Status NotSupported(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNotSupported, msg, msg2);
  }
  static Status InvalidArgument(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kInvalidArgument, msg, msg2);
  }
  static Status IOError(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kIOError, msg, msg2);
  }
  static Status Busy(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kBusy, msg, msg2);
  }

  bool ok() const { return state_ == nullptr; }
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsCorruption() const { return code() == Code::kCorruption; }
  bool IsNotSupported() const { return code() == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsIOError() const { return code() == Code::kIOError; }
  bool IsBusy() const { return code() == Code::kBusy; }

  Code code() const { return state_ == nullptr ? Code::kOk : state_->code; }
  // The message without the code prefix; empty for ok.
  std::string_view message() const {
    return state_ == nullptr ? std::string_view() : std::string_view(state_->message);
  }
  // "OK", or "<Code name>: <message>".
  std::string ToString() const;

  // Returns a copy of this status whose message is prefixed with `context` ("context: message").
  // An ok status stays ok.
  Status WithContext(std::string_view context) const;

  // Marks the status as examined. A no-op; exists so that code which deliberately drops a status
  // says so: `s.PermitUncheckedError();`.
  void PermitUncheckedError() const {}

 private:
  struct State {
    Code code;
    std::string message;
  };
  Status(Code code, std::string_view msg, std::string_view msg2);

  std::unique_ptr<State> state_;
};

}  // namespace strata
