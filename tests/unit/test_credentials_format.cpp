#include <doctest/doctest.h>

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"

#include <chrono>
#include <string>
#include <type_traits>

using namespace rolesanywhere;
using namespace std::chrono;

namespace {
TimePoint utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

void require_input_error(std::string_view text, std::string_view fragment) {
  try {
    parse_iso8601(text);
    FAIL("no error for " << text);
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kInput);
    const std::string message = e.what();
    CHECK_MESSAGE(message.find(fragment) != std::string::npos, message);
    CHECK_MESSAGE(message.find(std::string(text)) != std::string::npos, message);
  }
}
}  // namespace

TEST_CASE("format_iso8601 writes UTC with a Z and whole seconds") {
  CHECK(format_iso8601(utc(2026, 11, 23, 9, 30, 0)) == "2026-11-23T09:30:00Z");
  CHECK(format_iso8601(utc(1970, 1, 1)) == "1970-01-01T00:00:00Z");
  CHECK(format_iso8601(utc(2024, 2, 29, 23, 59, 59) + milliseconds{999}) == "2024-02-29T23:59:59Z");
  // Before the epoch the fraction must round down, not towards zero.
  CHECK(format_iso8601(utc(1969, 12, 31, 23, 59, 59) + milliseconds{500}) ==
        "1969-12-31T23:59:59Z");
}

TEST_CASE("parse_iso8601 reads Z, fractions and offsets") {
  CHECK(parse_iso8601("2026-11-23T09:30:00Z") == utc(2026, 11, 23, 9, 30, 0));
  CHECK(parse_iso8601("2026-11-23t09:30:00z") == utc(2026, 11, 23, 9, 30, 0));
  CHECK(parse_iso8601("2026-11-23T09:30:00.250Z") ==
        utc(2026, 11, 23, 9, 30, 0) + milliseconds{250});
  // More digits than nanoseconds hold are accepted and dropped.
  CHECK(parse_iso8601("2026-11-23T09:30:00.1234567891Z") ==
        utc(2026, 11, 23, 9, 30, 0) + nanoseconds{123456789});
  CHECK(parse_iso8601("2026-11-23T11:30:00+02:00") == utc(2026, 11, 23, 9, 30, 0));
  CHECK(parse_iso8601("2026-11-23T04:00:00-0530") == utc(2026, 11, 23, 9, 30, 0));
  CHECK(parse_iso8601("2026-01-01T01:00:00+02:00") == utc(2025, 12, 31, 23, 0, 0));
  CHECK(parse_iso8601("2024-02-29T00:00:00Z") == utc(2024, 2, 29));
}

TEST_CASE("parse_iso8601 round-trips format_iso8601 across the calendar") {
  for (int day_number : {-1000, 0, 1, 59, 365, 10'000, 20'000, 20'513, 30'000, 50'000}) {
    const TimePoint t = sys_days{days{day_number}} + seconds{(day_number * 37 + 86'400) % 86'400};
    CHECK(parse_iso8601(format_iso8601(t)) == t);
  }
}

TEST_CASE("parse_iso8601 rejects malformed text with a clear message") {
  require_input_error("", "year");
  require_input_error("2026-11-23", "'T'");
  require_input_error("2026-11-23T09:30:00", "time zone");
  require_input_error("2026-11-23 09:30:00Z", "'T'");
  require_input_error("2026-13-01T00:00:00Z", "no such date");
  require_input_error("2025-02-29T00:00:00Z", "no such date");
  require_input_error("2026-11-23T24:00:00Z", "out of range");
  require_input_error("2026-11-23T09:60:00Z", "out of range");
  require_input_error("2026-11-23T09:30:00.Z", "digits after '.'");
  require_input_error("2026-11-23T09:30:00Zjunk", "unexpected characters");
  require_input_error("2026-11-23T09:30:00+2", "offset");
  require_input_error("26-11-23T09:30:00Z", "year");
  require_input_error("2026/11/23T09:30:00Z", "'-'");
}

// Issue 13: an Expiration outside what system_clock's 64-bit nanosecond count holds
// (1677-09-21 to 2262-04-11) was signed overflow, and in practice a wrong date.
TEST_CASE("parse_iso8601 refuses times the program cannot represent, naming them") {
  for (const char* text : {"9999-12-31T23:59:59Z", "1600-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
                           "2263-01-01T00:00:00Z", "1677-01-01T00:00:00Z"}) {
    require_input_error(text, "outside the times this program can represent");
  }
  try {
    parse_iso8601("9999-12-31T23:59:59Z");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "invalid ISO-8601 time \"9999-12-31T23:59:59Z\": outside the times this program can "
          "represent, " +
              format_iso8601(TimePoint{ceil<seconds>(TimePoint::min().time_since_epoch())}) +
              " to " + format_iso8601(TimePoint::max()));
  }
}

TEST_CASE("parse_iso8601 accepts every time up to the ends of the range, to the nanosecond") {
  if constexpr (!std::is_same_v<TimePoint::duration, nanoseconds>) {
    MESSAGE("SKIPPED: the boundaries below are those of a nanosecond system_clock");
    return;
  } else {
    CHECK(parse_iso8601("2262-04-11T23:47:16.854775807Z") == TimePoint::max());
    require_input_error("2262-04-11T23:47:16.854775808Z", "outside");
    require_input_error("2262-04-11T23:47:17Z", "outside");
    CHECK(parse_iso8601("1677-09-21T00:12:43.145224192Z") == TimePoint::min());
    require_input_error("1677-09-21T00:12:43.145224191Z", "outside");
    require_input_error("1677-09-21T00:12:43Z", "outside");
    CHECK(parse_iso8601("1677-09-21T00:12:44Z") == TimePoint::min() + nanoseconds{854'775'808});
    // The offset decides: the same wall-clock time is inside the range in one zone only.
    CHECK(parse_iso8601("2262-04-12T01:00:00+02:00") == utc(2262, 4, 11, 23, 0, 0));
    require_input_error("2262-04-11T23:00:00-02:00", "outside");
    CHECK(parse_iso8601("1677-09-20T23:00:00-02:00") == utc(1677, 9, 21, 1, 0, 0));
    require_input_error("1677-09-21T01:00:00+02:00", "outside");
    // What format_iso8601 writes for the ends reads back.
    CHECK(parse_iso8601(format_iso8601(TimePoint::max())) == floor<seconds>(TimePoint::max()));
  }
}

TEST_CASE("to_credential_process_json matches the official helper's output exactly") {
  Credentials credentials{"ASIAEXAMPLE", SecretString("secret/key+value"), SecretString("token=="),
                          utc(2026, 11, 23, 9, 30, 0)};
  CHECK(to_credential_process_json(credentials) ==
        R"({"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret/key+value",)"
        R"("SessionToken":"token==","Expiration":"2026-11-23T09:30:00Z"})");
}

TEST_CASE("to_credential_process_json escapes as Go's encoding/json does") {
  Credentials credentials{"a\"b\\c", SecretString("x\ny\tz\x01"), SecretString("<&>"),
                          utc(2026, 1, 2, 3, 4, 5)};
  CHECK(to_credential_process_json(credentials) ==
        R"({"Version":1,"AccessKeyId":"a\"b\\c","SecretAccessKey":"x\ny\tz\u0001",)"
        R"("SessionToken":"\u003c\u0026\u003e","Expiration":"2026-01-02T03:04:05Z"})");
}
