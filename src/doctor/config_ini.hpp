// The AWS config file read as the AWS CLI reads it: botocore hands it to Python's
// configparser.RawConfigParser, so this models that parser's reading of lines, section headers,
// keys and continued values (what botocore then makes of the sections is credential_processes').
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::doctor_detail {

struct IniOption {
  std::string key;                 // lower-cased
  std::string value;               // its lines joined with "\n", trailing blanks stripped
  std::vector<std::size_t> lines;  // the file's line (from 1) of each of those lines
};

struct IniSection {
  std::string name;  // as written between '[' and the last ']', not trimmed
  std::size_t line = 0;
  std::vector<IniOption> options;

  // The value of `key` (lower case), if the section sets it.
  std::optional<std::string> value(std::string_view key) const;
};

// Why the AWS CLI reads none of the file: configparser (strict, as botocore makes it) raises an
// error for it, and botocore then fails every command with "Unable to parse config file".
struct IniRefusal {
  std::size_t line = 0;  // from 1
  std::string what;      // "line 7: [profile web] appears a second time (first on line 3)"
  std::string remedy;
};

struct IniFile {
  std::vector<IniSection> sections;  // in the order they first appear, [DEFAULT] excluded
  IniSection defaults;               // [DEFAULT], whose options every section inherits
  std::optional<IniRefusal> refusal;
};

// configparser's reading. Where it refuses the file (a repeated section or key, a setting before
// any section, a line that is none of its forms, text that is not UTF-8, or nested settings
// botocore cannot split), `refusal` says why and the rest is read leniently: a repeated section or
// key adds to or replaces the first, lines it would refuse are skipped.
IniFile read_ini(std::string_view text);

}  // namespace rolesanywhere::doctor_detail
