// FailureLog: the first failure, a new one, and a change in what clients get are reported; a
// repeat only once an hour, with how many were not shown.
#include "rolesanywhere/failure_log.hpp"

#include <doctest/doctest.h>

using namespace rolesanywhere;
using namespace std::chrono_literals;

namespace {
const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));
}

TEST_CASE("failure log: repeats are held back and counted, then said once an hour") {
  FailureLog log;
  CHECK(log.failed("refused", true, kStart).report);
  for (int minute = 1; minute < 60; ++minute)
    CHECK_FALSE(log.failed("refused", true, kStart + minute * 60s).report);
  const FailureLog::Entry hourly = log.failed("refused", true, kStart + 3600s);
  CHECK(hourly.report);
  CHECK(hourly.not_shown == 59);
  CHECK(hourly.since == kStart + 60s);
  CHECK_FALSE(log.failed("refused", true, kStart + 3660s).report);
}

TEST_CASE("failure log: a different error or a change in what clients get is said at once") {
  FailureLog log;
  CHECK(log.failed("unreachable", true, kStart).report);
  CHECK_FALSE(log.failed("unreachable", true, kStart + 10s).report);
  const FailureLog::Entry other = log.failed("refused", true, kStart + 20s);
  CHECK(other.report);
  CHECK(other.not_shown == 1);
  CHECK(other.since == kStart + 10s);
  // The credentials handed out expired: the same error, but clients now get nothing.
  const FailureLog::Entry expired = log.failed("refused", false, kStart + 30s);
  CHECK(expired.report);
  CHECK(expired.not_shown == 0);
}

TEST_CASE("failure log: after a success the next failure is said again") {
  FailureLog log;
  CHECK_FALSE(log.succeeded());
  CHECK(log.failed("refused", true, kStart).report);
  CHECK_FALSE(log.failed("refused", true, kStart + 1s).report);
  CHECK(log.succeeded());
  CHECK_FALSE(log.succeeded());
  const FailureLog::Entry again = log.failed("refused", true, kStart + 2s);
  CHECK(again.report);
  CHECK(again.not_shown == 0);
}

TEST_CASE("failure log: messages that differ only in their numbers are the same failure") {
  FailureLog log;
  CHECK(log.failed("could not reach it: Connection timed out after 3012 ms", true, kStart).report);
  CHECK_FALSE(
      log.failed("could not reach it: Connection timed out after 10001 ms", true, kStart + 5s)
          .report);
  CHECK(log.failed("could not reach it: Could not resolve host", true, kStart + 10s).report);
}
