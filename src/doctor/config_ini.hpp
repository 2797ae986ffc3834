// The AWS config file read as the AWS CLI reads it: botocore hands it to Python's
// configparser.RawConfigParser, so this models that parser's reading of lines, section headers,
// keys and continued values (what botocore then makes of the sections is credential_processes').
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rolesanywhere::doctor_detail {

struct IniSection {
  std::string name;  // as written between '[' and the last ']', not trimmed
  std::vector<std::pair<std::string, std::string>> options;  // lower-cased key, joined value

  // The value of `key` (lower case), if the section sets it.
  std::optional<std::string> value(std::string_view key) const;
};

struct IniFile {
  std::vector<IniSection> sections;  // in the order they first appear, [DEFAULT] excluded
  IniSection defaults;               // [DEFAULT], whose options every section inherits
};

// configparser's reading (not strict: a repeated section or key adds to or replaces the first,
// where configparser refuses the whole file; lines it would refuse are skipped).
IniFile read_ini(std::string_view text);

}  // namespace rolesanywhere::doctor_detail
