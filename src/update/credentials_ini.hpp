// The shared credentials file as AWS SDKs read it, and the one edit `update` makes to it.
//
// The reading rules are botocore's (Python's configparser with its defaults, which the AWS CLI
// and boto3 use), because that is the strictest common reader:
//   - lines end at "\n", "\r\n" or a lone "\r" (Python reads text files so); whitespace is what
//     Python's str.isspace() says in UTF-8 text (also \f, \v, U+001C..U+001F, the no-break space
//     and the other Unicode spaces), and indentation is counted in characters, not bytes;
//   - a line whose first non-blank character is '#' or ';' is a comment (no inline comments:
//     `key = value ; x` has the value "value ; x");
//   - `[name]` starts a section; the name is everything between the first '[' and the last ']',
//     untrimmed, so `[ default ]` is not `[default]`;
//   - `key = value` or `key: value`, split at the first '=' or ':', whitespace around both
//     trimmed, keys compared case-insensitively;
//   - a line indented deeper than the last line that was not a continuation continues the
//     value of the key above it (this is how nested values such as `s3 =` followed by
//     `  max_concurrent_requests = 10` are written), even across blank lines and comments, and
//     so does an indented `[header]`; after a header no key is open;
//   - anything else is a line botocore refuses; it is kept as it is.
//
// Every byte the edit does not need to change survives: comments, blank lines, order, odd
// spacing, other profiles, CRLF line endings and a last line without a newline.
#pragma once

#include "rolesanywhere/credentials.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::update {

// The key `update` writes next to the credentials with their expiry (ISO 8601, UTC). SDKs
// ignore unknown keys; saml2aws and similar tools write the same key, so scripts that look for
// it work unchanged.
inline constexpr std::string_view kExpirationKey = "x_security_token_expires";

enum class IniLineKind {
  kBlank,         // only whitespace
  kComment,       // '#' or ';' first
  kSection,       // [name]
  kKeyValue,      // key = value
  kContinuation,  // deeper-indented line that continues the key above
  kInvalid,       // none of the above (botocore would refuse the file)
};

struct IniLine {
  IniLineKind kind = IniLineKind::kInvalid;
  std::size_t begin = 0;        // offset of the line in the text
  std::size_t text_begin = 0;   // offset of its first non-whitespace character (after indentation)
  std::size_t content_end = 0;  // end of the line without its line ending
  std::size_t end = 0;          // end with its line ending (== content_end on the last line)
  int section = -1;             // index into IniDocument::sections, -1 before the first section
  std::string key;              // kKeyValue: lower-cased, trimmed
  std::size_t value_begin = 0;  // kKeyValue: offset where the (trimmed) value starts
  bool value_open = false;      // after this line, a deeper line would continue a key's value
};

struct IniSection {
  std::string name;
  std::size_t header_line = 0;  // index into IniDocument::lines
};

struct IniDocument {
  std::vector<IniLine> lines;
  std::vector<IniSection> sections;
  std::string line_ending = "\n";  // the file's first line ending; "\n" when it has none
  bool ends_with_newline = false;  // the text is empty or its last line has a line ending
};

IniDocument parse_ini(std::string_view text);

// The value of `key` in every section named `section`, as botocore would read it (the last one
// wins, continuation lines joined with "\n"). nullopt when absent.
std::optional<std::string> ini_value(std::string_view text, std::string_view section,
                                     std::string_view key);
std::vector<std::string> ini_section_names(std::string_view text);

// Throws Error(kInvalidArgument) "<label> '<profile>' cannot name a section ..." when the name
// cannot be a section header that reads back as the same name (empty, brackets, line breaks,
// surrounding whitespace). `label` is how the caller's user knows the name ("--profile" on the
// command line); credentials_file.hpp has the overload the command line calls.
void check_profile_name(std::string_view profile, std::string_view label);

// The file text with the credentials of `profile` replaced (or added): aws_access_key_id,
// aws_secret_access_key, aws_session_token and kExpirationKey. Existing keys are rewritten in
// place (their key spelling and the spacing up to the value kept, continuation lines of the old
// value dropped); missing keys go after the section's last line that is not blank or a comment,
// indented so that every line after them reads as before (an indented header stays a header);
// a missing profile is appended at the end. Every other profile reads as before, every byte
// outside the profile stays, and applying the same credentials twice equals applying them once.
// New lines use the file's line ending. The result ends with a newline exactly when the input
// did (an empty input gets one). Throws Error(kInvalidArgument) for a bad profile name
// (check_profile_name labelled "profile"; callers check it first with their own label) and
// Error(kInput) for a credential value that would break the file (a line break).
std::string apply_credentials(std::string_view file_text, std::string_view profile,
                              const Credentials& credentials);

}  // namespace rolesanywhere::update
