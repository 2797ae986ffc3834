// The lines serve and update write to stderr (the journal, under systemd) when a refresh fails:
// what failed, what clients have meanwhile, and when the next attempt is. Never a secret.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credential_service.hpp"

#include <string>

namespace rolesanywhere::cli {

// serve: times in UTC, as the credentials it serves carry them.
std::string serve_failure_line(const FailureReport& report);
// update: times in local time, what the person reading the status line thinks in.
std::string update_failure_line(const FailureReport& report);
// update's first attempt failed and it goes on retrying.
std::string update_first_failure_line(const RefreshFailure& failure,
                                      std::chrono::milliseconds retry_every);

// "2026-12-04 21:45:07 UTC" in the machine's time zone.
std::string local_time(TimePoint t);

}  // namespace rolesanywhere::cli
