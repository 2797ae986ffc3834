// ISO-8601 / RFC 3339 timestamps in UTC. Pure calendar arithmetic on std::chrono: no locale,
// no TZ variable, no timegm, so the result is the same on every machine.
#include "common/time_point_range.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace rolesanywhere {

namespace {

using namespace std::chrono;

[[noreturn]] void fail(std::string_view text, std::string_view what) {
  throw Error(Error::Kind::kInput,
              "invalid ISO-8601 time \"" + std::string(text) + "\": " + std::string(what));
}

// Reads exactly `count` digits at `pos`, advancing it.
int read_digits(std::string_view text, std::size_t& pos, std::size_t count, std::string_view what) {
  if (pos + count > text.size()) fail(text, "too short, expected " + std::string(what));
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) fail(text, "expected " + std::string(what));
    value = value * 10 + (c - '0');
  }
  pos += count;
  return value;
}

void expect_char(std::string_view text, std::size_t& pos, char wanted, std::string_view what) {
  if (pos >= text.size() || text[pos] != wanted) fail(text, "expected " + std::string(what));
  ++pos;
}

// "1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z": the whole seconds a TimePoint holds.
std::string representable_range() {
  const TimePoint first{std::chrono::ceil<seconds>(TimePoint::min().time_since_epoch())};
  return format_iso8601(first) + " to " + format_iso8601(TimePoint::max());
}

}  // namespace

std::string format_iso8601(TimePoint t) {
  // floor, not duration_cast: a time before 1970 must round towards the earlier second.
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day date{day};
  const hh_mm_ss time{secs - day};

  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()));
  return buffer;
}

TimePoint parse_iso8601(std::string_view text) {
  std::size_t pos = 0;
  const int year = read_digits(text, pos, 4, "a four-digit year");
  expect_char(text, pos, '-', "'-' after the year");
  const int month = read_digits(text, pos, 2, "a two-digit month");
  expect_char(text, pos, '-', "'-' after the month");
  const int day_of_month = read_digits(text, pos, 2, "a two-digit day");
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't'))
    fail(text, "expected 'T' between date and time");
  ++pos;
  const int hour = read_digits(text, pos, 2, "a two-digit hour");
  expect_char(text, pos, ':', "':' after the hour");
  const int minute = read_digits(text, pos, 2, "two-digit minutes");
  expect_char(text, pos, ':', "':' after the minutes");
  const int second = read_digits(text, pos, 2, "two-digit seconds");

  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    long long nanos = 0;
    int kept = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      // Digits beyond nanoseconds cannot be represented; they are read and dropped.
      if (kept < 9) {
        nanos = nanos * 10 + (text[pos] - '0');
        ++kept;
      }
      ++pos;
    }
    if (pos == start) fail(text, "expected digits after '.'");
    for (; kept < 9; ++kept) nanos *= 10;
    fraction = nanoseconds{nanos};
  }

  minutes offset{0};
  if (pos >= text.size()) fail(text, "missing time zone (expected 'Z' or an offset like +02:00)");
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const int offset_hours = read_digits(text, pos, 2, "a two-digit offset hour");
    if (pos < text.size() && text[pos] == ':') ++pos;
    const int offset_minutes = read_digits(text, pos, 2, "two-digit offset minutes");
    if (offset_hours > 23 || offset_minutes > 59) fail(text, "offset out of range");
    offset = minutes{sign * (offset_hours * 60 + offset_minutes)};
  } else {
    fail(text, "expected 'Z' or an offset like +02:00 after the time");
  }
  if (pos != text.size()) fail(text, "unexpected characters after the time zone");

  const year_month_day date{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                            std::chrono::day{unsigned(day_of_month)}};
  if (!date.ok()) fail(text, "no such date");
  if (hour > 23 || minute > 59 || second > 59) fail(text, "time of day out of range");

  // In whole seconds, which hold any four-digit year; only the step to TimePoint can overflow.
  const sys_seconds local = sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
  // "+02:00" means local time is two hours ahead of UTC, so UTC is local minus the offset.
  const std::optional<TimePoint> utc = to_time_point(local - offset, fraction);
  if (!utc) fail(text, "outside the times this program can represent, " + representable_range());
  return *utc;
}

}  // namespace rolesanywhere
