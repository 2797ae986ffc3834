#include "service_lines.hpp"

#include "rolesanywhere/credentials.hpp"

#include <ctime>
#include <functional>

namespace rolesanywhere::cli {

namespace {

std::string held_back(const FailureLog::Entry& log,
                      const std::function<std::string(TimePoint)>& time) {
  if (log.not_shown == 0) return "";
  return " (" + std::to_string(log.not_shown) + " earlier failure(s) since " + time(log.since) +
         " not shown)";
}

}  // namespace

std::string local_time(TimePoint t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm parts{};
  ::localtime_r(&seconds, &parts);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &parts);
  return text;
}

std::string serve_failure_line(const FailureReport& report) {
  const RefreshFailure& failure = report.failure;
  std::string message = "warning: refreshing credentials failed: " + failure.message;
  message +=
      report.still_valid_until
          ? "; the credentials served stay valid until " + format_iso8601(*report.still_valid_until)
          : std::string(
                "; no valid credentials to serve: the credentials path answers 503 until "
                "a refresh succeeds");
  message += "; next attempt at " + format_iso8601(failure.next_attempt) +
             (failure.permanent ? " (retrying slowly)" : "");
  return message + held_back(report.log, format_iso8601);
}

std::string update_failure_line(const FailureReport& report) {
  const RefreshFailure& failure = report.failure;
  std::string message = "refresh failed: ";
  if (failure.permanent)
    message = failure.refused_by_service
                  ? "refresh refused by the service, and retrying will not help until the "
                    "certificate (a renewed file is picked up by itself), trust anchor, "
                    "profile or role is fixed: "
                  : "refresh failed, and retrying will not help until this is fixed: ";
  message += failure.message;
  if (report.still_valid_until)
    message +=
        "; the credentials last written stay valid until " + local_time(*report.still_valid_until);
  else
    message += "; the profile has no valid credentials now";
  message += "; next attempt at " + local_time(failure.next_attempt);
  return message + held_back(report.log, local_time);
}

std::string update_first_failure_line(const RefreshFailure& failure,
                                      std::chrono::milliseconds retry_every) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(retry_every).count();
  return "refresh failed: " + failure.message +
         (failure.permanent ? "; retrying every " + std::to_string(seconds) + " s (--retry-errors)"
                            : "; retrying, the outage may pass");
}

}  // namespace rolesanywhere::cli
