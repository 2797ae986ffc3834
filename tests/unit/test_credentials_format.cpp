#include <doctest/doctest.h>

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"

#include <chrono>
#include <string>

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
