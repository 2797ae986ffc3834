// The two date forms of SigV4, always in UTC.
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <array>
#include <cstdio>
#include <ctime>

namespace rolesanywhere::sigv4x509 {

namespace {

std::tm utc_fields(TimePoint t) {
  // floor, not to_time_t's truncation, so a pre-1970 instant still lands in the right second.
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  const auto as_time_t = static_cast<std::time_t>(seconds);
  std::tm fields{};
  if (gmtime_r(&as_time_t, &fields) == nullptr)
    throw Error(Error::Kind::kInvalidArgument, "signing time is out of range");
  return fields;
}

std::string format(TimePoint t, const char* pattern) {
  const auto fields = utc_fields(t);
  std::array<char, 32> buffer{};
  const auto length = std::strftime(buffer.data(), buffer.size(), pattern, &fields);
  // SigV4's forms have a four-digit year; strftime's %Y neither pads nor truncates.
  const int year = fields.tm_year + 1900;
  if (length == 0 || year < 1000 || year > 9999)
    throw Error(Error::Kind::kInvalidArgument, "signing time is out of range");
  return std::string(buffer.data(), length);
}

}  // namespace

std::string amz_date(TimePoint t) { return format(t, "%Y%m%dT%H%M%SZ"); }

std::string scope_date(TimePoint t) { return format(t, "%Y%m%d"); }

}  // namespace rolesanywhere::sigv4x509
