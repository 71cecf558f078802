#include "strata/status.h"

namespace strata {

Status::Status(Code code, std::string_view msg, std::string_view msg2)
    : state_(std::make_unique<State>()) {
  state_->code = code;
  state_->message.reserve(msg.size() + (msg2.empty() ? 0 : msg2.size() + 2));
  state_->message.append(msg);
  if (!msg2.empty()) {
    state_->message.append(": ");
    state_->message.append(msg2);
  }
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  }
  return *this;
}

std::string Status::ToString() const {
  if (state_ == nullptr) return "OK";
  const char* name = "";
  switch (state_->code) {
    case Code::kOk: name = "OK"; break;
    case Code::kNotFound: name = "NotFound: "; break;
    case Code::kCorruption: name = "Corruption: "; break;
    case Code::kNotSupported: name = "Not supported: "; break;
    case Code::kInvalidArgument: name = "Invalid argument: "; break;
    case Code::kIOError: name = "IO error: "; break;
    case Code::kBusy: name = "Busy: "; break;
  }
  return std::string(name) + state_->message;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return Status();
  return Status(state_->code, context, state_->message);
}

}  // namespace strata
