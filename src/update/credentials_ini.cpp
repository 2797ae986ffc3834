#include "credentials_ini.hpp"

#include "rolesanywhere/error.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace rolesanywhere::update {
namespace {

// How many bytes the character at `at` takes when Python calls it whitespace (str.isspace, what
// configparser's strip() and its indentation pattern \S go by), 0 when it does not. botocore
// reads the file as UTF-8 text: besides ' ', \t, \f and \v, the separators U+001C..U+001F, the
// no-break space and a dozen other spaces count, each as one column of indentation.
std::size_t space_at(std::string_view s, std::size_t at) {
  const auto byte = [&](std::size_t i) -> unsigned {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u;
  };
  const unsigned c = byte(at);
  if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return 1;
  if (c == 0xc2) return byte(at + 1) == 0x85 || byte(at + 1) == 0xa0 ? 2 : 0;  // U+0085, U+00A0
  const unsigned c1 = byte(at + 1), c2 = byte(at + 2);
  const bool space =
      (c == 0xe1 && c1 == 0x9a && c2 == 0x80) ||  // U+1680
      (c == 0xe2 && c1 == 0x80 &&
       ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf)) ||  // U+2000..
      (c == 0xe2 && c1 == 0x81 && c2 == 0x9f) ||                                   // U+205F
      (c == 0xe3 && c1 == 0x80 && c2 == 0x80);                                     // U+3000
  return space ? 3 : 0;
}

// The leading whitespace of `s`: its length in bytes and in characters (configparser's columns).
struct Indentation {
  std::size_t bytes = 0;
  std::size_t columns = 0;
};
Indentation indentation_of(std::string_view s) {
  Indentation indentation;
  while (const std::size_t n = space_at(s, indentation.bytes)) {
    indentation.bytes += n;
    ++indentation.columns;
  }
  return indentation;
}

// `s` without the whitespace it ends with (Python's rstrip()).
std::string_view trim_end(std::string_view s) {
  std::size_t end = 0;
  for (std::size_t at = 0; at < s.size();) {
    if (const std::size_t n = space_at(s, at)) {
      at += n;
    } else {
      end = ++at;
    }
  }
  return s.substr(0, end);
}

std::string_view trim(std::string_view s) { return trim_end(s.substr(indentation_of(s).bytes)); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Splits the text into lines as Python reads a text file: at "\n", "\r\n" or a lone "\r",
// keeping where each line's content and line ending are.
std::vector<IniLine> split_lines(std::string_view text) {
  std::vector<IniLine> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    IniLine line;
    line.begin = begin;
    const auto newline = text.find_first_of("\r\n", begin);
    if (newline == std::string_view::npos) {
      line.content_end = line.end = text.size();
    } else {
      line.content_end = newline;
      line.end = text.compare(newline, 2, "\r\n") == 0 ? newline + 2 : newline + 1;
    }
    lines.push_back(line);
    begin = line.end;
  }
  return lines;
}

// The state configparser carries from line to line: the indentation of the last line that was
// not a continuation, and whether a key is open for continuation lines.
struct ParseState {
  int section = -1;
  bool key_open = false;
  std::size_t indent_level = 0;
};

void classify(std::string_view text, IniLine& line, ParseState& state, IniDocument& document) {
  const std::string_view content = text.substr(line.begin, line.content_end - line.begin);
  const std::string_view stripped = trim(content);
  const Indentation indentation = indentation_of(content);
  line.section = state.section;
  line.text_begin = line.begin + indentation.bytes;
  if (stripped.empty()) {
    line.kind = IniLineKind::kBlank;
    return;
  }
  if (stripped.front() == '#' || stripped.front() == ';') {
    line.kind = IniLineKind::kComment;
    return;
  }
  if (state.section >= 0 && state.key_open && indentation.columns > state.indent_level) {
    line.kind = IniLineKind::kContinuation;
    return;
  }
  state.indent_level = indentation.columns;

  const auto closing = stripped.rfind(']');
  if (stripped.front() == '[' && closing != std::string_view::npos && closing >= 2) {
    line.kind = IniLineKind::kSection;
    document.sections.push_back(
        {std::string(stripped.substr(1, closing - 1)), document.lines.size()});
    state.section = line.section = static_cast<int>(document.sections.size() - 1);
    state.key_open = false;
    return;
  }
  const auto delimiter = stripped.find_first_of("=:");
  const std::string_view key = delimiter == std::string_view::npos
                                   ? std::string_view{}
                                   : trim(stripped.substr(0, delimiter));
  if (state.section < 0 || key.empty()) {
    line.kind = IniLineKind::kInvalid;
    // configparser opens "= value" as a key with an empty name, which takes no continuation.
    if (delimiter != std::string_view::npos) state.key_open = false;
    return;
  }
  line.kind = IniLineKind::kKeyValue;
  line.key = lower(key);
  const std::size_t after_delimiter = line.text_begin + delimiter + 1;
  line.value_begin =
      after_delimiter +
      indentation_of(text.substr(after_delimiter, line.content_end - after_delimiter)).bytes;
  state.key_open = true;
}

// Python ends a line at "\n" and at "\r".
bool has_line_break(std::string_view value) {
  return value.find_first_of("\r\n") != std::string_view::npos;
}

std::string line_content(std::string_view text, const IniLine& line) {
  return std::string(text.substr(line.begin, line.content_end - line.begin));
}

}  // namespace

IniDocument parse_ini(std::string_view text) {
  IniDocument document;
  document.lines = split_lines(text);
  for (const IniLine& line : document.lines) {
    if (line.end != line.content_end) {
      document.line_ending =
          std::string(text.substr(line.content_end, line.end - line.content_end));
      break;
    }
  }
  document.ends_with_newline = text.empty() || text.back() == '\n' || text.back() == '\r';
  ParseState state;
  for (std::size_t i = 0; i < document.lines.size(); ++i) {
    // classify() may append to document.sections, which refers to the line by its index.
    IniLine line = document.lines[i];
    classify(text, line, state, document);
    line.value_open = state.key_open;
    document.lines[i] = std::move(line);
  }
  return document;
}

std::optional<std::string> ini_value(std::string_view text, std::string_view section,
                                     std::string_view key) {
  const IniDocument document = parse_ini(text);
  const std::string wanted_key = lower(key);
  std::optional<std::string> found;
  bool collecting = false;
  std::string value;
  auto finish = [&] {
    if (!collecting) return;
    value.resize(trim_end(value).size());
    found = value;
    collecting = false;
  };
  for (const IniLine& line : document.lines) {
    switch (line.kind) {
      case IniLineKind::kContinuation:
        if (collecting) value += "\n" + std::string(trim(line_content(text, line)));
        break;
      case IniLineKind::kBlank:
        if (collecting) value += "\n";
        break;
      case IniLineKind::kComment:
        break;
      default:
        finish();
        if (line.kind == IniLineKind::kKeyValue && line.key == wanted_key &&
            document.sections[line.section].name == section) {
          collecting = true;
          value =
              std::string(trim(text.substr(line.value_begin, line.content_end - line.value_begin)));
        }
    }
  }
  finish();
  return found;
}

std::vector<std::string> ini_section_names(std::string_view text) {
  std::vector<std::string> names;
  for (const IniSection& section : parse_ini(text).sections) names.push_back(section.name);
  return names;
}

void check_profile_name(std::string_view profile, std::string_view label) {
  const bool empty = profile.empty();
  const bool breaks_header = profile.find_first_of("[]\r\n") != std::string_view::npos;
  const bool padded = !empty && trim(profile).size() != profile.size();
  if (empty || breaks_header || padded)
    throw Error(Error::Kind::kInvalidArgument,
                std::string(label) + " '" + std::string(profile) +
                    "' cannot name a section of the credentials file: use a non-empty name "
                    "without brackets, line breaks or surrounding spaces");
  // botocore reads the file with Python's configparser, whose [DEFAULT] section is not a profile
  // but defaults for every other section: keys written there would become the credentials of
  // every profile in the file that does not set its own.
  if (profile == "DEFAULT")
    throw Error(Error::Kind::kInvalidArgument,
                std::string(label) +
                    " 'DEFAULT' cannot be written: botocore reads a [DEFAULT] section as "
                    "defaults for every profile in the file; the default profile is 'default'");
}

namespace {

// The keys apply_credentials writes, with their values.
constexpr std::size_t kWantedKeys = 4;
using WantedValues = std::array<std::pair<std::string_view, std::string_view>, kWantedKeys>;

void check_values(const WantedValues& wanted) {
  for (const auto& [key, value] : wanted) {
    // Names only: a value may be a secret.
    if (value.empty() || has_line_break(value) || trim(value).size() != value.size())
      throw Error(Error::Kind::kInput, "the credentials to write have an empty or multi-line " +
                                           std::string(key) + "; the file was not changed");
  }
}

bool in_section(const IniDocument& document, const IniLine& line, std::string_view name) {
  return line.section >= 0 && document.sections[line.section].name == name;
}

struct ProfilePlacement {
  // The line after which missing keys go: the last line of the profile's last section that is
  // not blank or a comment (its header when it has nothing else, as `aws configure set` does).
  // nullopt: the profile is missing.
  std::optional<std::size_t> insert_after;
  // What the missing keys are indented with: a copy of a line's (new_key_indentation).
  std::string_view indentation;
  std::array<bool, kWantedKeys> present{};  // which wanted keys it has
};

bool is_blank_or_comment(const IniLine& line) {
  return line.kind == IniLineKind::kBlank || line.kind == IniLineKind::kComment;
}

// configparser reads a line as a continuation of the key above when a key is open and the line
// is indented deeper than the last line that was not a continuation. Keys written at column 0
// after an indented profile made the next line, an indented header say, a continuation of the
// last new key, and moved another profile into this one. The new keys go after the profile's
// last line that counts, so only blank lines and comments come between them and the next
// header, and they copy the indentation of
//  - when a key is open after `last`: the line that set that depth (the key, or a line botocore
//    refuses after it). The new keys are then not continuations, and the next header is not
//    deeper than them, or it would already continue the open key's value;
//  - when no key is open: the next header, so that it is not deeper than the new keys either
//    (`last`'s own when none follows).
// Either way every line after the new keys is read as it was before.
std::size_t new_key_indentation(const IniDocument& document, std::size_t last) {
  if (document.lines[last].value_open) {
    std::size_t line = last;
    while (line > 0 && (document.lines[line].kind == IniLineKind::kContinuation ||
                        is_blank_or_comment(document.lines[line])))
      --line;
    return line;
  }
  for (std::size_t line = last + 1; line < document.lines.size(); ++line)
    if (!is_blank_or_comment(document.lines[line])) return line;
  return last;
}

ProfilePlacement locate_profile(std::string_view file_text, const IniDocument& document,
                                std::string_view profile, const WantedValues& wanted) {
  ProfilePlacement placement;
  for (std::size_t i = 0; i < document.lines.size(); ++i) {
    const IniLine& line = document.lines[i];
    if (!in_section(document, line, profile)) continue;
    if (!is_blank_or_comment(line)) placement.insert_after = i;
    for (std::size_t k = 0; k < wanted.size(); ++k)
      if (line.kind == IniLineKind::kKeyValue && line.key == wanted[k].first)
        placement.present[k] = true;
  }
  if (placement.insert_after) {
    const IniLine& source = document.lines[new_key_indentation(document, *placement.insert_after)];
    placement.indentation = file_text.substr(source.begin, source.text_begin - source.begin);
  }
  return placement;
}

// Reserved once for the largest result, so that no reallocation leaves a copy of the file's
// secrets in freed memory: every line kept, the new values, their keys, indentation and line
// endings.
std::size_t largest_result(std::string_view file_text, std::string_view profile,
                           const WantedValues& wanted, const ProfilePlacement& placement) {
  std::size_t largest = file_text.size() + profile.size() + 64;
  for (const auto& [key, value] : wanted)
    largest += placement.indentation.size() + key.size() + value.size() + 8;
  return largest;
}

bool ends_with_line_break(std::string_view text) {
  return !text.empty() && (text.back() == '\n' || text.back() == '\r');
}

void terminate_last_line(std::string& out, const IniDocument& document) {
  if (!out.empty() && !ends_with_line_break(out)) out += document.line_ending;
}

void append_missing_keys(std::string& out, const IniDocument& document, const WantedValues& wanted,
                         const ProfilePlacement& placement) {
  terminate_last_line(out, document);
  for (std::size_t k = 0; k < wanted.size(); ++k) {
    if (placement.present[k]) continue;
    out.append(placement.indentation)
        .append(wanted[k].first)
        .append(" = ")
        .append(wanted[k].second);
    out += document.line_ending;
  }
}

// Every line of the file, with the profile's wanted keys given their new values and the missing
// ones added after placement.insert_after.
void copy_lines_with_new_values(std::string& out, std::string_view file_text,
                                const IniDocument& document, std::string_view profile,
                                const WantedValues& wanted, const ProfilePlacement& placement) {
  bool dropping_old_value = false;
  for (std::size_t i = 0; i < document.lines.size(); ++i) {
    const IniLine& line = document.lines[i];
    const std::string_view raw = file_text.substr(line.begin, line.end - line.begin);
    const auto replacement = std::find_if(wanted.begin(), wanted.end(),
                                          [&](const auto& w) { return w.first == line.key; });
    if (line.kind == IniLineKind::kKeyValue && in_section(document, line, profile) &&
        replacement != wanted.end()) {
      // Same key spelling and spacing up to the value, the new value, the same line ending.
      out.append(file_text.substr(line.begin, line.value_begin - line.begin));
      out.append(replacement->second);
      out.append(file_text.substr(line.content_end, line.end - line.content_end));
      dropping_old_value = true;  // its continuation lines belonged to the old value
    } else if (line.kind == IniLineKind::kContinuation && dropping_old_value) {
      // skipped
    } else {
      if (line.kind != IniLineKind::kBlank && line.kind != IniLineKind::kComment &&
          line.kind != IniLineKind::kContinuation)
        dropping_old_value = false;
      out.append(raw);
    }
    if (placement.insert_after == i) append_missing_keys(out, document, wanted, placement);
  }
}

// A missing profile goes at the end, after a blank line unless the file already ends with one.
void append_profile_section(std::string& out, const IniDocument& document, std::string_view profile,
                            const WantedValues& wanted, const ProfilePlacement& placement) {
  terminate_last_line(out, document);
  const bool last_line_blank =
      !document.lines.empty() && document.lines.back().kind == IniLineKind::kBlank;
  if (!out.empty() && !last_line_blank) out += document.line_ending;
  out.append("[").append(profile).append("]").append(document.line_ending);
  append_missing_keys(out, document, wanted, placement);
}

// The file ends with a newline exactly when it did before.
void match_final_newline(std::string& out, const IniDocument& document) {
  if (document.ends_with_newline) {
    terminate_last_line(out, document);
  } else if (out.ends_with(document.line_ending)) {
    out.resize(out.size() - document.line_ending.size());
  } else if (out.ends_with("\r\n")) {
    out.resize(out.size() - 2);
  } else if (ends_with_line_break(out)) {
    out.pop_back();
  }
}

}  // namespace

std::string apply_credentials(std::string_view file_text, std::string_view profile,
                              const Credentials& credentials) {
  check_profile_name(profile, "profile");
  const std::string expiration = format_iso8601(credentials.expiration);
  const WantedValues wanted{{
      {"aws_access_key_id", credentials.access_key_id},
      {"aws_secret_access_key", credentials.secret_access_key.reveal()},
      {"aws_session_token", credentials.session_token.reveal()},
      {kExpirationKey, expiration},
  }};
  check_values(wanted);

  const IniDocument document = parse_ini(file_text);
  const ProfilePlacement placement = locate_profile(file_text, document, profile, wanted);

  std::string out;
  out.reserve(largest_result(file_text, profile, wanted, placement));
  copy_lines_with_new_values(out, file_text, document, profile, wanted, placement);
  if (!placement.insert_after) append_profile_section(out, document, profile, wanted, placement);
  match_final_newline(out, document);
  return out;
}

}  // namespace rolesanywhere::update
