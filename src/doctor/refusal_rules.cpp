// What a refusal from CreateSession means. The service says little ("Untrusted signing
// certificate"); the local checks usually know why, and when they found nothing the message
// still points at what they cannot see (the trust anchor as registered, the role's trust policy).
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/text.hpp"

#include <algorithm>

namespace rolesanywhere::doctor {

namespace {

bool contains(const std::string& text, std::string_view part) {
  return to_lower(text).find(to_lower(part)) != std::string::npos;
}

bool has_prefix(const Finding& finding, std::string_view prefix) {
  return finding.id.starts_with(prefix);
}

// Where to look when no local check found a problem, by what the service said.
std::string hint(const std::string& type, const std::string& message, const Findings& local,
                 const Labels& labels) {
  const bool anchor_checked = std::any_of(local.begin(), local.end(), [](const Finding& f) {
    return f.id == "chain.anchor" && f.verdict == Verdict::kOk;
  });
  if (contains(message, "untrusted") || contains(message, "certificate")) {
    if (!anchor_checked)
      return "give " +
             label_or(labels.trust_anchor_certificate, "the trust anchor's CA certificate") +
             " to check the chain against the CA the trust anchor should hold";
    return "the chain reaches the CA you gave, so the trust anchor registered in Roles Anywhere "
           "probably holds another CA (compare `aws rolesanywhere get-trust-anchor`), is "
           "disabled, or has a CRL that revokes the certificate";
  }
  if (contains(message, "signature expired") || contains(message, "not yet current"))
    return "the signing time was refused: check this machine's clock (run with " +
           label_or(labels.online, "the online check") + " to compare it with the service's)";
  if (contains(message, "sts:AssumeRole") || contains(message, "not authorized") ||
      contains(message, "trust polic"))
    return "the role's trust policy must allow the principal rolesanywhere.amazonaws.com "
           "sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity (with conditions the "
           "certificate meets), and the profile must list the role";
  if (type == "ResourceNotFoundException" || contains(message, "not found"))
    return "an ARN names nothing in that account and region: check the trust anchor and "
           "profile ARNs (`aws rolesanywhere list-trust-anchors`, `list-profiles`)";
  if (type == "ValidationException")
    return "the request's parameters were refused: check the ARNs and the session duration";
  if (contains(message, "disabled"))
    return "enable the trust anchor and the profile (`aws rolesanywhere enable-trust-anchor`, "
           "`enable-profile`)";
  return "the local checks found nothing that explains it";
}

}  // namespace

Finding explain_refusal(const std::string& error_type, const std::string& message,
                        const Findings& local, const Labels& labels) {
  const std::string said =
      "CreateSession refused: " + (error_type.empty() ? std::string("an error") : error_type) +
      (message.empty() ? "" : ": " + message);
  std::vector<const Finding*> problems;
  for (const Finding& finding : local)
    if (finding.verdict == Verdict::kProblem && !has_prefix(finding, "online"))
      problems.push_back(&finding);
  if (problems.empty())
    return {"online", Verdict::kProblem, said, hint(error_type, message, local, labels)};
  std::string found;
  const std::size_t shown = std::min<std::size_t>(problems.size(), 3);
  for (std::size_t i = 0; i < shown; ++i)
    found += (i ? "; " : "") + problems[i]->id + ": " + problems[i]->what;
  if (problems.size() > shown)
    found += "; and " + std::to_string(problems.size() - shown) + " more";
  return {"online", Verdict::kProblem, said + ". The local checks found why: " + found,
          problems.front()->remedy};
}

}  // namespace rolesanywhere::doctor
