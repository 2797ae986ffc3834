// A model of Python's configparser.RawConfigParser._read with its defaults (delimiters "=" and
// ":", full-line comments "#" and ";", no inline comments, empty lines kept inside values, keys
// lower-cased, strict), over a file opened in text mode (UTF-8, universal newlines); and of the
// nested settings botocore's raw_config_parse splits after it.
#include "config_ini.hpp"

#include "rolesanywhere/text.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace rolesanywhere::doctor_detail {

namespace {

// What Python's str.strip(), str.isspace() and the regex \s take for blanks: ASCII ones, and
// the UTF-8 encodings of Unicode's (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000).
constexpr std::string_view kAsciiSpace = " \t\n\v\f\r\x1c\x1d\x1e\x1f";
constexpr std::string_view kUnicodeSpace[] = {
    "\xc2\x85",     "\xc2\xa0",     "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81",
    "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86",
    "\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8",
    "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};

enum class End { kFront, kBack };

// The length of the blank `text` starts or ends with (0: none).
std::size_t space_at(std::string_view text, End end) {
  if (text.empty()) return 0;
  if (kAsciiSpace.find(end == End::kFront ? text.front() : text.back()) != std::string_view::npos)
    return 1;
  for (const std::string_view space : kUnicodeSpace)
    if (end == End::kFront ? text.starts_with(space) : text.ends_with(space)) return space.size();
  return 0;
}

std::string_view python_rstrip(std::string_view text) {
  while (const std::size_t length = space_at(text, End::kBack)) text.remove_suffix(length);
  return text;
}

std::string_view python_strip(std::string_view text) {
  while (const std::size_t length = space_at(text, End::kFront)) text.remove_prefix(length);
  return python_rstrip(text);
}

// How far in a line's first non-blank is, in characters as Python counts them.
std::size_t indent_of(std::string_view line) {
  std::size_t characters = 0;
  while (const std::size_t length = space_at(line, End::kFront)) {
    line.remove_prefix(length);
    ++characters;
  }
  return characters;
}

// Where `text` stops being UTF-8 as Python's strict decoder takes it (no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos when all of it is.
std::size_t invalid_utf8_at(std::string_view text) {
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  for (std::size_t at = 0; at < text.size();) {
    const unsigned char lead = byte(at);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
    if (lead < 0x80)
      length = 1;
    else if (lead >= 0xc2 && lead <= 0xdf)
      length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      return at;
    }
    if (at + length > text.size()) return at;
    for (std::size_t k = 1; k < length; ++k) {
      const unsigned char next = byte(at + k);
      if (k == 1 ? (next < low || next > high) : (next < 0x80 || next > 0xbf)) return at;
    }
    at += length;
  }
  return std::string_view::npos;
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

std::string line_text(std::size_t line) { return "line " + std::to_string(line); }

// A name from the file as a message shows it: control bytes as \xNN, so a name cannot move the
// terminal's cursor or forge a line. Not log_safe, which escapes UTF-8 too: a profile named in
// the user's language stays readable.
std::string shown(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      out.append("\\x").append(1, kHex[byte >> 4]).append(1, kHex[byte & 0xf]);
    else
      out += c;
  }
  return out;
}

// A value being read, which an indented line continues.
struct OpenValue {
  IniSection* section = nullptr;
  std::size_t option = 0;
  bool open = false;  // configparser's `optname` is set (and not empty)

  IniOption& option_read() const { return section->options[option]; }
};

// The reading of one file, line by line.
class IniReader {
 public:
  IniFile read(std::string_view text) {
    file_.defaults.name = "DEFAULT";
    // Python decodes as it reads, 8 KiB at a time: in a longer file an error raised on a line
    // before the chunk with the bad byte comes first. Either way the file is refused; only the
    // reason named may differ. (botocore reads in the locale's encoding, UTF-8 wherever the AWS
    // CLI is installed today, Python's UTF-8 mode included.)
    if (const std::size_t invalid = invalid_utf8_at(text); invalid != std::string_view::npos) {
      // Its line: one more than the lines before it when a line break (or nothing) precedes it.
      const bool starts_line =
          invalid == 0 || text[invalid - 1] == '\n' || text[invalid - 1] == '\r';
      const std::size_t line = python_lines(text.substr(0, invalid)).size() + (starts_line ? 1 : 0);
      refuse(line, line_text(line) + " is not UTF-8 text", "save the file as UTF-8");
    }
    const std::vector<std::string_view> lines = python_lines(text);
    // Sections are appended while pointers to them are held: reserve enough (one per line).
    file_.sections.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) read_line(lines[i], i + 1);
    // Joined values lose their trailing blanks (the empty lines kept at their end).
    const auto rstrip_values = [](IniSection& each) {
      for (IniOption& option : each.options) {
        option.value.erase(python_rstrip(option.value).size());
        // The lines of what was stripped are no longer the value's.
        const std::size_t kept = std::count(option.value.begin(), option.value.end(), '\n') + 1;
        option.lines.resize(std::min(option.lines.size(), kept));
      }
    };
    rstrip_values(file_.defaults);
    for (IniSection& each : file_.sections) rstrip_values(each);
    // botocore splits nested settings only of a file configparser read without an error.
    if (!file_.refusal && !parse_error_) check_nested_settings();
    if (!file_.refusal && parse_error_) file_.refusal = std::move(parse_error_);
    return std::move(file_);
  }

 private:
  void read_line(std::string_view line, std::size_t number) {
    const std::string_view stripped = python_strip(line);
    if (stripped.starts_with('#') || stripped.starts_with(';')) return;
    if (stripped.empty()) {
      // An empty line stays inside a value (a later indented line continues it).
      if (current_.open) {
        current_.option_read().value += '\n';
        current_.option_read().lines.push_back(number);
      }
      return;
    }
    const std::size_t indent = indent_of(line);
    if (current_.open && indent > indent_level_) {
      (current_.option_read().value += '\n') += stripped;
      current_.option_read().lines.push_back(number);
      return;
    }
    indent_level_ = indent;
    // SECTCRE \[(?P<header>.+)\] matched at the start: the header runs to the LAST ']', and
    // whatever follows it is ignored.
    const std::size_t close = stripped.rfind(']');
    if (stripped.front() == '[' && close != std::string_view::npos && close >= 2) {
      read_header(std::string(stripped.substr(1, close - 1)), number);
      return;
    }
    if (!section_) {
      // configparser stops at a setting before any section, and the AWS CLI reads nothing.
      if (number == 1 && line.starts_with("\xef\xbb\xbf"))
        refuse(number, "the file starts with a byte order mark, which the AWS CLI reads as text",
               "save the file as UTF-8 without a byte order mark (BOM)");
      else
        refuse(number, line_text(number) + ": a setting before any [section] header",
               "put it under a [default] or [profile NAME] header");
      return;
    }
    // A line without a delimiter is refused at the end of the file (the value open meanwhile),
    // as is a key that is empty.
    const std::size_t delimiter = stripped.find_first_of("=:");
    if (delimiter == std::string_view::npos) {
      note_parse_error(number,
                       line_text(number) +
                           " is none of a [section] header, a KEY = VALUE setting or a comment, "
                           "nor indented deeper than a setting before it to continue its value",
                       "write it as KEY = VALUE, indent it under the setting it continues, or "
                       "remove it");
      return;
    }
    std::string key = to_lower(python_strip(stripped.substr(0, delimiter)));
    if (key.empty())
      note_parse_error(
          number, line_text(number) + ": a setting without a name",
          "put the setting's name before the '" + std::string(1, stripped[delimiter]) + "'");
    set_option(std::move(key), std::string(python_strip(stripped.substr(delimiter + 1))), number);
  }

  void read_header(std::string name, std::size_t number) {
    current_.open = false;
    if (name == "DEFAULT") {
      // [DEFAULT] may appear again; its keys may not.
      section_ = &file_.defaults;
      if (!file_.defaults.line) file_.defaults.line = number;
      return;
    }
    section_ = nullptr;
    for (IniSection& known : file_.sections)
      if (known.name == name) section_ = &known;
    if (section_) {
      refuse(number,
             line_text(number) + ": [" + shown(name) + "] appears a second time (first on line " +
                 std::to_string(section_->line) + ")",
             "merge the two [" + shown(name) + "] sections into one");
      return;
    }
    section_ = &file_.sections.emplace_back(IniSection{std::move(name), number, {}});
  }

  void set_option(std::string key, std::string value, std::size_t number) {
    IniSection& section = *section_;
    current_ = {&section, section.options.size(), !key.empty()};
    for (std::size_t i = 0; i < section.options.size(); ++i)
      if (section.options[i].key == key) {
        if (key.empty())  // configparser raises for the second one; the first was an error too
          refuse(number, line_text(number) + ": a setting without a name",
                 "put the setting's name before its '=' or ':'");
        else
          refuse(number,
                 line_text(number) + ": " + shown(key) + " is set a second time in [" +
                     shown(section.name) + "] (first on line " +
                     std::to_string(section.options[i].lines.front()) + ")",
                 "keep one " + shown(key) + " line in [" + shown(section.name) + "]");
        section.options[i].value = std::move(value);
        section.options[i].lines = {number};
        current_.option = i;
        return;
      }
    section.options.push_back({std::move(key), std::move(value), {number}});
  }

  // botocore splits a value that starts on the next line into NAME = VALUE lines (str.splitlines,
  // so a vertical tab, form feed, \x1c-\x1e, U+0085, U+2028 and U+2029 end a line there too), and
  // refuses the whole file when one has no '='. It reads every section's options, [DEFAULT]'s
  // included, in order.
  void check_nested_settings() {
    for (const IniSection& section : file_.sections) {
      for (const IniOption& option : section.options)
        if (check_nested(section, option, false)) return;
      for (const IniOption& option : file_.defaults.options)
        if (!section.value(option.key) && check_nested(section, option, true)) return;
    }
  }

  // True when `option` of `section` (or of [DEFAULT], which `section` inherits) makes botocore
  // refuse the file (the refusal is set).
  bool check_nested(const IniSection& section, const IniOption& option, bool inherited) {
    if (!option.value.starts_with('\n')) return false;
    std::size_t piece = 0;
    for (std::size_t start = 0; start <= option.value.size(); ++piece) {
      const std::size_t end = std::min(option.value.find('\n', start), option.value.size());
      std::string_view rest = std::string_view(option.value).substr(start, end - start);
      while (!rest.empty()) {
        const auto [cut_at, cut_length] = split_line_end(rest);
        const std::string_view nested = python_strip(rest.substr(0, cut_at));
        if (!nested.empty() && nested.find('=') == std::string_view::npos) {
          const std::size_t number = option.lines[std::min(piece, option.lines.size() - 1)];
          const std::string where =
              inherited ? " in [DEFAULT] (which [" + shown(section.name) + "] inherits)"
                        : " in [" + shown(section.name) + "]";
          refuse(number,
                 line_text(number) + ": " + shown(option.key) + where +
                     " starts on the next line, so the AWS CLI reads it as nested settings, "
                     "and this line has no '='",
                 "write this line as NAME = VALUE, or start " + shown(option.key) +
                     "'s value on its line, after the '='");
          return true;
        }
        rest.remove_prefix(std::min(rest.size(), cut_at + cut_length));
      }
      start = end + 1;
    }
    return false;
  }

  // Where the first line break str.splitlines sees inside one physical line is, and its length;
  // (size, 0) when there is none.
  static std::pair<std::size_t, std::size_t> split_line_end(std::string_view text) {
    constexpr std::string_view kBreaks[] = {"\v",   "\f",       "\x1c",         "\x1d",
                                            "\x1e", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"};
    std::pair<std::size_t, std::size_t> first{text.size(), 0};
    for (const std::string_view each : kBreaks)
      if (const std::size_t at = text.find(each); at < first.first) first = {at, each.size()};
    return first;
  }

  // configparser raises at once: the first such error is the one the AWS CLI gets.
  void refuse(std::size_t line, std::string what, std::string remedy) {
    if (!file_.refusal) file_.refusal = IniRefusal{line, std::move(what), std::move(remedy)};
  }

  // configparser collects these and raises at the end of the file (if nothing raised before).
  void note_parse_error(std::size_t line, std::string what, std::string remedy) {
    if (!parse_error_) parse_error_ = IniRefusal{line, std::move(what), std::move(remedy)};
  }

  IniFile file_;
  IniSection* section_ = nullptr;
  OpenValue current_;
  std::size_t indent_level_ = 0;
  std::optional<IniRefusal> parse_error_;
};

}  // namespace

std::optional<std::string> IniSection::value(std::string_view key) const {
  for (const IniOption& option : options)
    if (option.key == key) return option.value;
  return std::nullopt;
}

IniFile read_ini(std::string_view text) { return IniReader().read(text); }

}  // namespace rolesanywhere::doctor_detail
