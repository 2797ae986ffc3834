// The clock: SigV4-X509 signatures carry the signing time, which the service accepts within
// kMaxClockSkew of its own. The service's Date header tells its time.
#include "rolesanywhere/doctor.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace rolesanywhere::doctor {

namespace {

constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::optional<int> digits(std::string_view text, std::size_t at, std::size_t length) {
  if (at + length > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + length; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::string describe_offset(std::chrono::seconds offset) {
  const long long total = offset.count() < 0 ? -offset.count() : offset.count();
  // Rounded: the answer takes a moment to arrive, so 600 s off reads 599 s here.
  if (total < 120) return std::to_string(total) + " seconds";
  if (total < 2 * 3600) return std::to_string((total + 30) / 60) + " minutes";
  return std::to_string((total + 1800) / 3600) + " hours";
}

}  // namespace

std::optional<TimePoint> parse_http_date(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters exactly.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT")
    return std::nullopt;
  int month_index = -1;
  for (std::size_t m = 0; m < kMonths.size(); ++m)
    if (text.substr(8, 3) == kMonths[m]) month_index = static_cast<int>(m);
  const auto day = digits(text, 5, 2);
  const auto year = digits(text, 12, 4);
  const auto hour = digits(text, 17, 2);
  const auto minute = digits(text, 20, 2);
  const auto second = digits(text, 23, 2);
  if (month_index < 0 || !day || !year || !hour || !minute || !second) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{*year}, month{unsigned(month_index + 1)},
                            std::chrono::day{unsigned(*day)}};
  // Years a time point holds; an HTTP date outside them is no clock worth comparing.
  if (!date.ok() || *year < 1970 || *year > 2200 || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  return TimePoint{sys_days{date}} + hours{*hour} + minutes{*minute} + seconds{*second};
}

std::string format_http_date(TimePoint time) {
  using namespace std::chrono;
  const auto whole = floor<seconds>(time);
  const auto day_point = floor<days>(whole);
  const year_month_day date{day_point};
  const hh_mm_ss clock{whole - day_point};
  const weekday week_day{day_point};
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                kDays[week_day.c_encoding()], static_cast<unsigned>(date.day()),
                kMonths[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return text;
}

Finding check_clock(TimePoint local, TimePoint service) {
  const auto offset = std::chrono::duration_cast<std::chrono::seconds>(local - service);
  const std::string how = offset.count() < 0 ? "behind" : "ahead of";
  const std::string what = "this machine's clock is " + describe_offset(offset) + " " + how +
                           " the service's (Date: " + format_http_date(service) + ")";
  const auto magnitude = offset.count() < 0 ? -offset : offset;
  if (magnitude > kMaxClockSkew)
    return {"clock", Verdict::kProblem, what + "; signatures more than 5 minutes off are refused",
            "set the clock right and keep it so: `timedatectl set-ntp true` (or run chrony / "
            "ntpd)"};
  // The Date header has whole seconds and the answer takes a moment to arrive.
  if (magnitude > std::chrono::minutes(1))
    return {"clock", Verdict::kWarning, what + "; within the 5 minutes tolerated, but drifting",
            "enable time synchronisation: `timedatectl set-ntp true`"};
  if (magnitude <= std::chrono::seconds(2))
    return {"clock", Verdict::kOk, "this machine's clock agrees with the service's", ""};
  return {"clock", Verdict::kOk, what, ""};
}

}  // namespace rolesanywhere::doctor
