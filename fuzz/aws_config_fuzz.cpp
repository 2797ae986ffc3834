// doctor's reader of the AWS config file (src/doctor/environment_rules.cpp): the
// credential_process lines (credential_processes) and their split into words as the AWS CLI
// splits them (split_shell_words: Python's shlex in POSIX mode, which botocore uses).
//
// Input: any text, read both as a config file and as one credential_process command.
//
// Invariants, for the text as a config file:
//   1. no profile name holds a line break; there are no more processes than
//      "credential_process" occurs in the text in any case, unless a [DEFAULT] section (which
//      every profile inherits, as configparser's) sets one. (A profile name is what shlex makes
//      of [profile ...]: it may be empty, or hold blanks and ']', as it does for botocore.)
//   2. a process whose line could not be split has no words;
//   3. CRLF and lone CR line endings read the same as LF (Python's universal newlines), and an
//      appended non-profile section changes nothing.
// For the text as a command, when it splits:
//   4. it is a round trip: the words written in single quotes (' as '\''), or in double quotes
//      (\ and " escaped: shlex escapes nothing else there), or with every byte backslash-escaped,
//      split into the same words;
//   5. an empty word comes only from quotes;
//   6. without quotes it is what shlex does: blanks (space, tab, CR, LF) separate, a backslash
//      takes the next byte as it is, and a backslash with nothing after it fails the split;
//      without quotes, backslashes or $ that is splitting on blanks;
//   7. written into a config file (in [default] with single quotes and [profile NAME] with
//      double quotes, around a section that is no profile), the words read back exactly (NAME
//      is the first word when shlex keeps it one word, and it is not "default");
//   8. a refusal (why the AWS CLI reads none of the file) names a line of it, the same whatever
//      ends the lines.
// And a split fails only for an open quote or a backslash at the end.
#include "fuzz_support.hpp"
#include "rolesanywhere/doctor.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace rolesanywhere::doctor;

namespace {

using Words = std::vector<std::string>;

constexpr std::string_view kBlanks = " \t\r\n";

bool is_blank(char c) { return kBlanks.find(c) != std::string_view::npos; }

std::string show(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 400)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += '?';
    else
      out += c;
  }
  return out;
}

std::string show(const std::optional<Words>& words) {
  if (!words) return "(no split)";
  std::string out = "[";
  for (const std::string& word : *words)
    out += (out.size() > 1 ? ", \"" : "\"") + show(word) + "\"";
  return out + "]";
}

std::string single_quoted(const Words& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    out += '\'';
    for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string double_quoted(const Words& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (const char c : word) {
      if (c == '\\' || c == '"') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

// Every byte escaped; an empty word still needs quotes.
std::string backslashed(const Words& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    if (word.empty()) out += "''";
    for (const char c : word) (out += '\\') += c;
  }
  return out;
}

// shlex's split of text without quotes.
std::optional<Words> unquoted_model(std::string_view text) {
  Words words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_blank(text[i])) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (text[i] == '\\' && ++i == text.size()) return std::nullopt;
    word += text[i];
  }
  if (in_word) words.push_back(word);
  return words;
}

Words split_on_blanks(std::string_view text) {
  Words words;
  std::size_t at = 0;
  while (true) {
    while (at < text.size() && is_blank(text[at])) ++at;
    if (at == text.size()) return words;
    std::size_t end = at;
    while (end < text.size() && !is_blank(text[end])) ++end;
    words.emplace_back(text.substr(at, end - at));
    at = end;
  }
}

// Every LF not already after a CR made a CRLF.
std::string crlf(std::string_view text) {
  // An LF already after a CR is left alone: "\r\r\n" would be one more (empty) line, which
  // changes a value whose open quote spans it.
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i)
    out += text[i] == '\n' && (i == 0 || text[i - 1] != '\r') ? std::string("\r\n")
                                                              : std::string(1, text[i]);
  return out;
}

// Every LF not part of a CRLF made a lone CR.
std::string lone_cr(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out[i] = '\r';
  return out;
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool same(const std::vector<ConfiguredProcess>& a, const std::vector<ConfiguredProcess>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].profile != b[i].profile || a[i].words != b[i].words ||
        a[i].split_error != b[i].split_error)
      return false;
  return true;
}

void check_config(std::string_view text) {
  const std::vector<ConfiguredProcess> processes = credential_processes(text);
  const std::string context = "config \"" + show(text) + "\"";
  fuzz::check(
      text.find("[DEFAULT]") != std::string_view::npos ||
          processes.size() <= fuzz::count_occurrences(lower_case(text), "credential_process"),
      "no more processes than credential_process lines", context);
  for (const ConfiguredProcess& process : processes) {
    const std::string_view profile = process.profile;
    fuzz::check(profile.find_first_of("\r\n") == std::string_view::npos,
                "a profile name has no line break", context + " profile \"" + show(profile) + "\"");
    fuzz::check(process.split_error.empty() || process.words.empty(),
                "a line that could not be split has no words", context);
  }
  // A refusal names a line of the file (or the byte order mark that begins it), the same one
  // whatever ends the lines.
  const std::string refusal = read_aws_config(text).refusal;
  if (!refusal.empty() && !refusal.starts_with("the file starts with a byte order mark")) {
    std::size_t line = 0;
    const bool named = std::sscanf(refusal.c_str(), "line %zu", &line) == 1;
    const std::size_t lines = fuzz::count_occurrences(lone_cr(text), "\r") + 1;
    fuzz::check(named && line >= 1 && line <= lines, "a refusal names a line of the file",
                context + ": " + refusal);
  }
  fuzz::check(refusal == read_aws_config(lone_cr(text)).refusal,
              "lone CR line endings are refused as LF ones", context + ": " + refusal);
  fuzz::check(same(processes, credential_processes(crlf(text))),
              "CRLF line endings read as LF ones", context);
  fuzz::check(same(processes, credential_processes(lone_cr(text))),
              "lone CR line endings read as LF ones", context);
  fuzz::check(
      same(processes, credential_processes(std::string(text) +
                                           "\n[sso-session extra]\ncredential_process = x\n")),
      "a section that is no profile adds no process", context);
}

void check_written_into_config(const Words& words) {
  for (const std::string& word : words)
    if (word.find_first_of("\r\n") != std::string::npos) return;  // a line break ends the line
  std::string profile = "fuzzed";
  if (!words.empty() && !words[0].empty() && words[0] != "default" &&
      words[0].find_first_of(" \t\r\n'\"\\") == std::string::npos)
    profile = words[0];
  const std::string config =
      "# written by the harness\n[default]\nregion = eu-west-1\n"
      "credential_process = " +
      single_quoted(words) + "\n\n[sso-session s]\ncredential_process = other\n[profile " +
      profile + "]\ncredential_process=" + double_quoted(words) + "\n";
  const std::vector<ConfiguredProcess> processes = credential_processes(config);
  const std::string context = "config \"" + show(config) + "\"";
  fuzz::check(processes.size() == 2, "a written config has its two processes", context);
  fuzz::check(processes[0].profile == "default" && processes[1].profile == profile,
              "a written config's processes are in their profiles", context);
  fuzz::check(processes[0].words == words && processes[1].words == words &&
                  processes[0].split_error.empty() && processes[1].split_error.empty(),
              "a written config's processes read back with the words written",
              context + " read " + show(processes[0].words) + " and " + show(processes[1].words));
}

void check_split(std::string_view text) {
  const std::optional<Words> words = split_shell_words(text);
  const std::string context = "command \"" + show(text) + "\" split as " + show(words);
  const bool quoted = text.find_first_of("'\"") != std::string_view::npos;
  if (!quoted) {
    fuzz::check(words == unquoted_model(text), "without quotes the split is shlex's",
                context + ", shlex gives " + show(unquoted_model(text)));
    if (text.find_first_of("\\$") == std::string_view::npos)
      fuzz::check(words == split_on_blanks(text),
                  "without quotes, backslashes or $ the split is on blanks", context);
  }
  if (!words) {
    fuzz::check(quoted || (!text.empty() && text.back() == '\\'),
                "a split fails only for an open quote or a backslash at the end", context);
    return;
  }
  for (const std::string& word : *words)
    fuzz::check(!word.empty() || quoted, "an empty word comes only from quotes", context);
  fuzz::check(split_shell_words(single_quoted(*words)) == words,
              "words in single quotes split into the same words",
              context + "; again: " + show(split_shell_words(single_quoted(*words))));
  fuzz::check(split_shell_words(double_quoted(*words)) == words,
              "words in double quotes split into the same words",
              context + "; again: " + show(split_shell_words(double_quoted(*words))));
  fuzz::check(split_shell_words(backslashed(*words)) == words,
              "words with every byte escaped split into the same words",
              context + "; again: " + show(split_shell_words(backslashed(*words))));
  check_written_into_config(*words);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  check_config(text);
  check_split(text);
  return 0;
}
