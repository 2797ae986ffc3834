#include "rolesanywhere/doctor.hpp"

#include <algorithm>
#include <iterator>

namespace rolesanywhere::doctor {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kWarning:
      return "warning";
    case Verdict::kProblem:
      return "problem";
    case Verdict::kSkipped:
      return "skipped";
  }
  return "unknown";
}

std::size_t count_verdict(const Findings& findings, Verdict verdict) {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(),
                    [verdict](const Finding& f) { return f.verdict == verdict; }));
}

const Finding* first_problem(const Findings& findings) {
  const auto it = std::find_if(findings.begin(), findings.end(),
                               [](const Finding& f) { return f.verdict == Verdict::kProblem; });
  return it == findings.end() ? nullptr : &*it;
}

void append(Findings& findings, Findings more) {
  findings.insert(findings.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
}

}  // namespace rolesanywhere::doctor
