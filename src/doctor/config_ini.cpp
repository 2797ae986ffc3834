// A model of Python's configparser.RawConfigParser._read with its defaults (delimiters "=" and
// ":", full-line comments "#" and ";", no inline comments, empty lines kept inside values, keys
// lower-cased), over a file opened in text mode (universal newlines).
#include "config_ini.hpp"

#include "rolesanywhere/text.hpp"

namespace rolesanywhere::doctor_detail {

namespace {

// What Python's str.strip() and the regex \s take for blanks, in ASCII.
constexpr std::string_view kPythonSpace = " \t\n\v\f\r\x1c\x1d\x1e\x1f";

std::string_view python_strip(std::string_view text) {
  const std::size_t first = text.find_first_not_of(kPythonSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kPythonSpace) - first + 1);
}

// Universal newlines: "\n", "\r\n" and a lone "\r" all end a line.
std::vector<std::string_view> python_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  return lines;
}

// A value being read: its lines, joined with "\n" at the end as configparser does.
struct OpenValue {
  IniSection* section = nullptr;
  std::size_t option = 0;
  bool open = false;  // configparser's `optname` is set (and not empty)
};

void set_option(IniSection& section, std::string key, std::string value, OpenValue& current) {
  current = {&section, section.options.size(), !key.empty()};
  for (std::size_t i = 0; i < section.options.size(); ++i)
    if (section.options[i].first == key) {
      section.options[i].second = std::move(value);
      current.option = i;
      return;
    }
  section.options.emplace_back(std::move(key), std::move(value));
}

}  // namespace

std::optional<std::string> IniSection::value(std::string_view key) const {
  for (const auto& option : options)
    if (option.first == key) return option.second;
  return std::nullopt;
}

IniFile read_ini(std::string_view text) {
  IniFile file;
  file.defaults.name = "DEFAULT";
  IniSection* section = nullptr;
  OpenValue current;
  std::size_t indent_level = 0;
  // Sections are appended while pointers to them are held: reserve enough (one per line).
  const std::vector<std::string_view> lines = python_lines(text);
  file.sections.reserve(lines.size());
  for (const std::string_view line : lines) {
    const std::string_view stripped = python_strip(line);
    if (stripped.starts_with('#') || stripped.starts_with(';')) continue;
    if (stripped.empty()) {
      // An empty line stays inside a value (a later indented line continues it).
      if (current.open) current.section->options[current.option].second += '\n';
      continue;
    }
    const std::size_t indent = line.find_first_not_of(kPythonSpace);
    if (current.open && indent > indent_level) {
      (current.section->options[current.option].second += '\n') += stripped;
      continue;
    }
    indent_level = indent;
    // SECTCRE \[(?P<header>.+)\] matched at the start: the header runs to the LAST ']', and
    // whatever follows it is ignored.
    const std::size_t close = stripped.rfind(']');
    if (stripped.front() == '[' && close != std::string_view::npos && close >= 2) {
      const std::string_view name = stripped.substr(1, close - 1);
      if (name == "DEFAULT") {
        section = &file.defaults;
      } else {
        section = nullptr;
        for (IniSection& known : file.sections)
          if (known.name == name) section = &known;
        if (!section) section = &file.sections.emplace_back(IniSection{std::string(name), {}});
      }
      current.open = false;
      continue;
    }
    // configparser refuses an option before any section, and a line without a delimiter (at the
    // end of the file, keeping the value open meanwhile); the AWS CLI then reads nothing.
    const std::size_t delimiter = stripped.find_first_of("=:");
    if (!section || delimiter == std::string_view::npos) continue;
    set_option(*section, to_lower(python_strip(stripped.substr(0, delimiter))),
               std::string(python_strip(stripped.substr(delimiter + 1))), current);
  }
  // Joined values lose their trailing blanks (the empty lines kept at their end).
  const auto rstrip_values = [](IniSection& each) {
    for (auto& option : each.options)
      option.second.erase(option.second.find_last_not_of(kPythonSpace) + 1);
  };
  rstrip_values(file.defaults);
  for (IniSection& each : file.sections) rstrip_values(each);
  return file;
}

}  // namespace rolesanywhere::doctor_detail
