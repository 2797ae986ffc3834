// The credentials-file model (src/update/credentials_ini.hpp): parse, the one edit `update`
// makes, and what must survive it.
//
// Input: "<profile>\0<file text>" (the profile name up to a NUL in the first 64 bytes), or the
// whole input as the file and "default" as the profile.
//
// Invariants, for a file and a profile the edit accepts:
//   1. every line outside the edited profile's sections is unchanged, byte for byte (at most a
//      line ending added to the file's last line, which the appended profile needs);
//   2. every other section keeps its keys and values as the model reads them (botocore's
//      rules), and so do the edited profile's own other keys; no section appears or vanishes;
//   3. the profile reads back with exactly the credentials written;
//   4. a second edit with the same credentials changes nothing, and an edit of the edited file
//      equals the same edit of the original (update runs again and again on its own output).
#include "fuzz_support.hpp"
#include "update/credentials_ini.hpp"

#include "rolesanywhere/error.hpp"

#include <map>
#include <set>
#include <utility>

using namespace rolesanywhere;
using namespace rolesanywhere::update;

namespace {

Credentials credentials(std::string access_key_id, std::string secret, std::string token,
                        long long expiration) {
  return Credentials{std::move(access_key_id), SecretString(std::move(secret)),
                     SecretString(std::move(token)), TimePoint(std::chrono::seconds(expiration))};
}

const Credentials& first_credentials() {
  static const Credentials value =
      credentials("ASIAFUZZEXAMPLE00001", "fuzzSecretKey/with+Plus=sign",
                  "FwoGZXIvYXdzEFuzz//session+token=", 1'795'000'000);
  return value;
}
const Credentials& second_credentials() {
  static const Credentials value =
      credentials("ASIAFUZZEXAMPLE00002", "anotherSecret", "AnotherSessionToken", 1'795'003'600);
  return value;
}

bool in_profile(const IniDocument& document, const IniLine& line, std::string_view profile) {
  return line.section >= 0 && document.sections[line.section].name == profile;
}

// The bytes of every line outside the profile's sections, with trailing line endings dropped
// from the end (appending a profile to a file whose last line has none adds one, and a blank
// line before the new header).
std::string outside_profile(std::string_view text, std::string_view profile) {
  const IniDocument document = parse_ini(text);
  std::string out;
  for (const IniLine& line : document.lines)
    if (!in_profile(document, line, profile))
      out.append(text.substr(line.begin, line.end - line.begin));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

using Values = std::map<std::pair<std::string, std::string>, std::optional<std::string>>;

bool is_written_key(std::string_view key) {
  return key == "aws_access_key_id" || key == "aws_secret_access_key" ||
         key == "aws_session_token" || key == kExpirationKey;
}

// (section, key) -> value as the model reads it, for each of `keys`.
Values readable_values(std::string_view text,
                       const std::set<std::pair<std::string, std::string>>& keys) {
  Values values;
  for (const auto& section_key : keys)
    values[section_key] = ini_value(text, section_key.first, section_key.second);
  return values;
}

// Every (section, key) of the file, except the keys the edit writes in the profile.
std::set<std::pair<std::string, std::string>> keys_of(std::string_view text,
                                                      std::string_view profile) {
  const IniDocument document = parse_ini(text);
  std::set<std::pair<std::string, std::string>> keys;
  for (const IniLine& line : document.lines)
    if (line.kind == IniLineKind::kKeyValue &&
        !(in_profile(document, line, profile) && is_written_key(line.key)))
      keys.insert({document.sections[line.section].name, line.key});
  return keys;
}

std::vector<std::string> other_sections(std::string_view text, std::string_view profile) {
  std::vector<std::string> names;
  for (std::string& name : ini_section_names(text))
    if (name != profile) names.push_back(std::move(name));
  return names;
}

std::string show(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 600)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += '?';
    else
      out += c;
  }
  return out;
}

void check_edit(std::string_view original, std::string_view profile, const Credentials& written,
                const std::string& edited) {
  const std::string context = "profile '" + std::string(profile) + "', file \"" + show(original) +
                              "\" became \"" + show(edited) + "\"";
  fuzz::check(outside_profile(original, profile) == outside_profile(edited, profile),
              "bytes outside the edited profile are unchanged", context);

  fuzz::check(other_sections(original, profile) == other_sections(edited, profile),
              "the other sections are all still there, in order", context);
  const auto keys = keys_of(original, profile);
  fuzz::check(keys == keys_of(edited, profile),
              "no key appears or vanishes outside the written ones", context);
  fuzz::check(readable_values(original, keys) == readable_values(edited, keys),
              "every other key keeps its value as botocore reads it", context);

  fuzz::check(
      ini_value(edited, profile, "aws_access_key_id") == written.access_key_id &&
          ini_value(edited, profile, "aws_secret_access_key") ==
              written.secret_access_key.reveal() &&
          ini_value(edited, profile, "aws_session_token") == written.session_token.reveal() &&
          ini_value(edited, profile, kExpirationKey) == format_iso8601(written.expiration),
      "the profile reads back with the credentials written", context);
  // A lone CR ends a line too, as botocore (Python) reads the file.
  const auto ends_line = [](std::string_view text) {
    return !text.empty() && (text.back() == '\n' || text.back() == '\r');
  };
  fuzz::check(edited.empty() || ends_line(edited) == (original.empty() || ends_line(original)),
              "the result ends with a line break exactly when the input did", context);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  std::string_view profile = "default";
  if (const std::size_t nul = input.substr(0, 64).find('\0'); nul != std::string_view::npos) {
    profile = input.substr(0, nul);
    input.remove_prefix(nul + 1);
  }

  (void)parse_ini(input);
  (void)ini_section_names(input);

  std::string edited;
  try {
    edited = apply_credentials(input, profile, first_credentials());
  } catch (const Error& error) {
    // A bad profile name is refused before anything is read; nothing else may throw.
    try {
      check_profile_name(profile, "profile");
    } catch (const Error&) {
      return 0;
    }
    fuzz::violated("only a bad profile name makes the edit throw", error.what());
  }
  check_edit(input, profile, first_credentials(), edited);

  const std::string again = apply_credentials(edited, profile, first_credentials());
  fuzz::check(again == edited, "a second edit with the same credentials changes nothing",
              "\"" + show(edited) + "\" became \"" + show(again) + "\"");

  const std::string renewed = apply_credentials(edited, profile, second_credentials());
  const std::string direct = apply_credentials(input, profile, second_credentials());
  fuzz::check(renewed == direct,
              "editing the edited file equals editing the original with the same credentials",
              "\"" + show(renewed) + "\" vs \"" + show(direct) + "\"");
  return 0;
}
