#include "credentials_ini.hpp"

#include "rolesanywhere/error.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace rolesanywhere::update {
namespace {

constexpr std::string_view kWhitespace = " \t\r\n\f\v";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kWhitespace);
  return s.substr(first, last - first + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Splits the text into lines at "\n", keeping where each line's content and line ending are.
std::vector<IniLine> split_lines(std::string_view text) {
  std::vector<IniLine> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    IniLine line;
    line.begin = begin;
    const auto newline = text.find('\n', begin);
    if (newline == std::string_view::npos) {
      line.content_end = line.end = text.size();
    } else {
      line.end = newline + 1;
      line.content_end = (newline > begin && text[newline - 1] == '\r') ? newline - 1 : newline;
    }
    lines.push_back(line);
    begin = line.end;
  }
  return lines;
}

// The state configparser carries from line to line: the indentation of the last key or section
// line, and whether a key is open for continuation lines.
struct ParseState {
  int section = -1;
  bool key_open = false;
  std::size_t indent_level = 0;
};

void classify(std::string_view text, IniLine& line, ParseState& state, IniDocument& document) {
  const std::string_view content = text.substr(line.begin, line.content_end - line.begin);
  const std::string_view stripped = trim(content);
  line.section = state.section;
  if (stripped.empty()) {
    line.kind = IniLineKind::kBlank;
    return;
  }
  if (stripped.front() == '#' || stripped.front() == ';') {
    line.kind = IniLineKind::kComment;
    return;
  }
  const std::size_t indent = content.find_first_not_of(kWhitespace);
  if (state.section >= 0 && state.key_open && indent > state.indent_level) {
    line.kind = IniLineKind::kContinuation;
    return;
  }
  state.indent_level = indent;

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
    return;
  }
  line.kind = IniLineKind::kKeyValue;
  line.key = lower(key);
  const std::size_t stripped_offset = line.begin + indent;
  const std::size_t after_delimiter = stripped_offset + delimiter + 1;
  const auto value_start =
      text.substr(0, line.content_end).find_first_not_of(" \t\f\v", after_delimiter);
  line.value_begin = value_start == std::string_view::npos ? line.content_end : value_start;
  state.key_open = true;
}

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
  document.ends_with_newline = text.empty() || text.back() == '\n';
  ParseState state;
  for (std::size_t i = 0; i < document.lines.size(); ++i) {
    // classify() may append to document.sections, which refers to the line by its index.
    IniLine line = document.lines[i];
    classify(text, line, state, document);
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
    const auto last = value.find_last_not_of(kWhitespace);
    value.erase(last == std::string::npos ? 0 : last + 1);
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
  // The line after which missing keys go: the last key (or continuation) line of the profile's
  // last section, or its header when it has no keys (as `aws configure set` does). nullopt: the
  // profile is missing.
  std::optional<std::size_t> insert_after;
  std::array<bool, kWantedKeys> present{};  // which wanted keys it has
};

ProfilePlacement locate_profile(const IniDocument& document, std::string_view profile,
                                const WantedValues& wanted) {
  ProfilePlacement placement;
  for (std::size_t i = 0; i < document.lines.size(); ++i) {
    const IniLine& line = document.lines[i];
    if (!in_section(document, line, profile)) continue;
    if (line.kind == IniLineKind::kSection || line.kind == IniLineKind::kKeyValue ||
        line.kind == IniLineKind::kContinuation)
      placement.insert_after = i;
    for (std::size_t k = 0; k < wanted.size(); ++k)
      if (line.kind == IniLineKind::kKeyValue && line.key == wanted[k].first)
        placement.present[k] = true;
  }
  return placement;
}

// Reserved once for the largest result, so that no reallocation leaves a copy of the file's
// secrets in freed memory: every line kept, the new values, their keys and line endings.
std::size_t largest_result(std::string_view file_text, std::string_view profile,
                           const WantedValues& wanted) {
  std::size_t largest = file_text.size() + profile.size() + 64;
  for (const auto& [key, value] : wanted) largest += key.size() + value.size() + 8;
  return largest;
}

void terminate_last_line(std::string& out, const IniDocument& document) {
  if (!out.empty() && out.back() != '\n') out += document.line_ending;
}

void append_missing_keys(std::string& out, const IniDocument& document, const WantedValues& wanted,
                         const ProfilePlacement& placement) {
  terminate_last_line(out, document);
  for (std::size_t k = 0; k < wanted.size(); ++k) {
    if (placement.present[k]) continue;
    out.append(wanted[k].first).append(" = ").append(wanted[k].second);
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
  } else if (out.ends_with('\n')) {
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
  const ProfilePlacement placement = locate_profile(document, profile, wanted);

  std::string out;
  out.reserve(largest_result(file_text, profile, wanted));
  copy_lines_with_new_values(out, file_text, document, profile, wanted, placement);
  if (!placement.insert_after) append_profile_section(out, document, profile, wanted, placement);
  match_final_newline(out, document);
  return out;
}

}  // namespace rolesanywhere::update
