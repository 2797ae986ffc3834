// The ISO 8601 times of CreateSession's Expiration and of cache entries (parse_iso8601 in
// include/rolesanywhere/credentials.hpp; src/credentials/iso8601.cpp).
//
// Input: the text.
//
// Invariants: a failure is Error(kInput); a time that parses formats as
// "YYYY-MM-DDTHH:MM:SSZ", which parses back to the same time without its fraction of a second;
// a text already in that form, of a year well inside what the time type holds (1970-2200), is
// formatted back to itself. (Years outside are the overflow UBSan reports; whether they are
// refused or clamped is the parser's choice.)
#include "fuzz_support.hpp"

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"

using namespace rolesanywhere;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  TimePoint parsed;
  try {
    parsed = parse_iso8601(text);
  } catch (const Error& error) {
    fuzz::check(error.kind() == Error::Kind::kInput, "a bad time is Error(kInput)", error.what());
    return 0;
  }
  const std::string formatted = format_iso8601(parsed);
  const bool canonical = text.size() == 20 && text[10] == 'T' && text[19] == 'Z' &&
                         text.substr(0, 4) >= "1970" && text.substr(0, 4) <= "2200";
  if (canonical)
    fuzz::check(formatted == text, "a UTC time in canonical form formats back to itself",
                std::string(text) + " became " + formatted);
  fuzz::check(formatted.size() == 20 && formatted[10] == 'T' && formatted.back() == 'Z',
              "a parsed time formats as YYYY-MM-DDTHH:MM:SSZ", formatted);
  TimePoint again;
  try {
    again = parse_iso8601(formatted);
  } catch (const Error& error) {
    fuzz::violated("a formatted time parses again", error.what());
  }
  fuzz::check(again == std::chrono::floor<std::chrono::seconds>(parsed),
              "a formatted time parses back to the same second", formatted);
  return 0;
}
