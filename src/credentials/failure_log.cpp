#include "rolesanywhere/failure_log.hpp"

namespace rolesanywhere {

FailureLog::Entry FailureLog::failed(const std::string& what, bool credentials_valid,
                                     TimePoint now) {
  const bool same = last_what_ && *last_what_ == what && last_valid_ == credentials_valid;
  if (same && now - last_reported_ < repeat_every_) {
    if (not_shown_++ == 0) first_not_shown_ = now;
    return {};
  }
  Entry entry{true, not_shown_, first_not_shown_};
  last_what_ = what;
  last_valid_ = credentials_valid;
  last_reported_ = now;
  not_shown_ = 0;
  return entry;
}

bool FailureLog::succeeded() {
  const bool failed_before = last_what_.has_value();
  last_what_.reset();
  not_shown_ = 0;
  return failed_before;
}

}  // namespace rolesanywhere
