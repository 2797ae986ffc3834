#include "rolesanywhere/failure_log.hpp"

namespace rolesanywhere {

std::string FailureLog::shape_of(std::string_view what) {
  std::string shape;
  shape.reserve(what.size());
  for (const char c : what) {
    const bool digit = c >= '0' && c <= '9';
    if (!digit)
      shape += c;
    else if (shape.empty() || shape.back() != '#')
      shape += '#';
  }
  return shape;
}

FailureLog::Entry FailureLog::failed(const std::string& what, bool credentials_valid,
                                     TimePoint now) {
  const std::string shape = shape_of(what);
  const bool same = last_what_ && *last_what_ == shape && last_valid_ == credentials_valid;
  if (same && now - last_reported_ < repeat_every_) {
    if (not_shown_++ == 0) first_not_shown_ = now;
    return {};
  }
  Entry entry{true, not_shown_, first_not_shown_};
  last_what_ = shape;
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
