#include "doctor_report.hpp"

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace rolesanywhere::cli {

namespace {

using doctor::Verdict;

constexpr std::size_t kWidth = 80;
constexpr std::size_t kVerdictColumn = 9;  // "problem" and two spaces
constexpr std::size_t kIdColumn = 20;      // the longest id is 19 characters
constexpr std::size_t kTextColumn = kVerdictColumn + kIdColumn;

std::string_view colour_of(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "\033[32m";
    case Verdict::kWarning:
      return "\033[33m";
    case Verdict::kProblem:
      return "\033[1;31m";
    case Verdict::kSkipped:
      return "\033[2m";
  }
  return "";
}

// `text` in lines of at most kWidth - indent characters, broken at spaces; a word longer than a
// line (a path, an ARN) gets a line of its own.
std::vector<std::string> wrap(std::string_view text, std::size_t indent) {
  const std::size_t width = kWidth - indent;
  std::vector<std::string> lines;
  std::string line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(std::move(line));
  return lines;
}

void append_block(std::string& out, std::string_view text, std::size_t indent,
                  std::string_view first_prefix) {
  const std::vector<std::string> lines = wrap(text, indent);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0 || !first_prefix.empty()) out += std::string(indent, ' ');
    out += lines[i];
    out += '\n';
  }
}

std::string summary(const doctor::Findings& findings) {
  const std::size_t problems = doctor::count_verdict(findings, Verdict::kProblem);
  const std::size_t warnings = doctor::count_verdict(findings, Verdict::kWarning);
  auto counted = [](std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::string text =
      counted(problems, "problem", "problems") + ", " + counted(warnings, "warning", "warnings");
  if (problems)
    text += ": Roles Anywhere (or this helper) will refuse this; fix the problems above";
  else
    text += ": nothing found that Roles Anywhere would refuse";
  return text;
}

}  // namespace

std::string doctor_text_report(const doctor::Findings& findings, bool colour) {
  std::string out;
  for (const doctor::Finding& finding : findings) {
    const std::string_view verdict = doctor::verdict_name(finding.verdict);
    if (colour) out += colour_of(finding.verdict);
    out += verdict;
    if (colour) out += "\033[0m";
    out += std::string(kVerdictColumn - verdict.size(), ' ');
    out += finding.id;
    out += std::string(finding.id.size() < kIdColumn ? kIdColumn - finding.id.size() : 1, ' ');
    // The first line continues after the id; the rest are indented to the text column.
    const std::vector<std::string> lines = wrap(finding.what, kTextColumn);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) out += std::string(kTextColumn, ' ');
      out += lines[i] + '\n';
    }
    if (!finding.remedy.empty() && finding.verdict != Verdict::kOk) {
      const std::string prefix = finding.verdict == Verdict::kSkipped ? "to check: " : "fix: ";
      append_block(out, prefix + finding.remedy, kTextColumn, prefix);
    }
  }
  out += '\n';
  append_block(out, summary(findings), 0, "");
  return out;
}

std::string doctor_json_report(const doctor::Findings& findings) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const doctor::Finding& finding : findings)
    checks.push_back({{"id", finding.id},
                      {"verdict", doctor::verdict_name(finding.verdict)},
                      {"what", finding.what},
                      {"remedy", finding.remedy}});
  nlohmann::ordered_json report = {
      {"checks", checks},
      {"problems", doctor::count_verdict(findings, Verdict::kProblem)},
      {"warnings", doctor::count_verdict(findings, Verdict::kWarning)}};
  // A path or name given in another encoding than UTF-8 is shown with U+FFFD, not refused.
  return report.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

bool use_colour_on_stdout() {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace rolesanywhere::cli
