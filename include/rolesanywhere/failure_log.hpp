// Which refresh failures deserve a line in a long-running process's log. A refusal retried
// every minute would otherwise write 1,440 identical lines a day, and an outage hides the one line
// that matters: when clients stopped getting credentials. Pure: time is passed in.
#pragma once

#include "rolesanywhere/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere {

class FailureLog {
 public:
  // A repeat is said again at most this often.
  explicit FailureLog(std::chrono::seconds repeat_every = std::chrono::hours(1))
      : repeat_every_(repeat_every) {}

  struct Entry {
    bool report = false;  // worth a line now
    int not_shown = 0;    // earlier failures since the last line that were not reported
    TimePoint since{};    // when the first of those happened (valid when not_shown > 0)
  };
  // A failure with message `what`, when the process still has (`credentials_valid`) or no longer
  // has valid credentials to hand out. Reported: the first failure after a success, one with a
  // different message, one where credentials_valid changed, and a repeat once per repeat_every.
  // Messages that differ only in their numbers ("timed out after 3012 ms") are the same failure.
  Entry failed(const std::string& what, bool credentials_valid, TimePoint now);
  // A success: the next failure is reported again. True when failures came before it.
  bool succeeded();

 private:
  static std::string shape_of(std::string_view what);  // every run of digits as '#'

  std::chrono::seconds repeat_every_;
  std::optional<std::string> last_what_;
  bool last_valid_ = false;
  TimePoint last_reported_{};
  int not_shown_ = 0;
  TimePoint first_not_shown_{};
};

}  // namespace rolesanywhere
