// The shapes of the three ARNs CreateSession takes, checked the way the service would before it
// looks anything up, and what must agree between them, the region and the endpoint. Deliberately
// independent of the client's ARN parsing (src/session): the emulator judges with these.
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/text.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace rolesanywhere::doctor {

std::optional<ArnParts> split_arn(std::string_view arn) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  // The resource (sixth field) may itself contain ':', so split only five times.
  for (int i = 0; i < 5; ++i) {
    const std::size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    fields.emplace_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  if (fields[0] != "arn") return std::nullopt;
  return ArnParts{fields[1], fields[2], fields[3], fields[4], std::string(arn.substr(start))};
}

namespace {

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i])))
      return false;
  }
  return true;
}

bool is_account(std::string_view text) {
  return text.size() == 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_region(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool is_role_path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("+=,.@_-/").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> arn_problem(std::string_view arn, ArnKind kind) {
  const auto parts = split_arn(arn);
  if (!parts)
    return "it is not of the form arn:<partition>:<service>:<region>:<account>:<resource>";
  if (parts->partition != "aws" && parts->partition != "aws-cn" && parts->partition != "aws-us-gov")
    return "unknown partition '" + parts->partition + "'";
  if (!is_account(parts->account)) return "account '" + parts->account + "' is not 12 digits";

  if (kind == ArnKind::kRole) {
    if (parts->service != "iam")
      return "a role ARN has service 'iam', not '" + parts->service + "'";
    if (!parts->region.empty())
      return "a role ARN leaves the region field empty, this one has '" + parts->region + "'";
    const std::string_view resource = parts->resource;
    if (!resource.starts_with("role/") || resource.size() == 5 || resource.back() == '/')
      return "the resource must be role/<name>";
    if (!std::all_of(resource.begin() + 5, resource.end(), is_role_path_char))
      return "the role name holds characters IAM does not allow";
    return std::nullopt;
  }

  if (parts->service != "rolesanywhere")
    return "service must be 'rolesanywhere', not '" + parts->service + "'";
  if (!is_region(parts->region)) return "region '" + parts->region + "' is not a region name";
  const std::string_view prefix = kind == ArnKind::kTrustAnchor ? "trust-anchor/" : "profile/";
  const std::string_view resource = parts->resource;
  if (!resource.starts_with(prefix) || !is_uuid(resource.substr(prefix.size())))
    return "the resource must be " + std::string(prefix) + "<uuid>";
  return std::nullopt;
}

std::optional<std::string> arns_disagree(std::string_view trust_anchor_arn,
                                         std::string_view profile_arn, std::string_view role_arn) {
  const auto anchor = split_arn(trust_anchor_arn);
  const auto profile = split_arn(profile_arn);
  const auto role = split_arn(role_arn);
  if (!anchor || !profile || !role) return std::nullopt;  // arn_problem's to say
  auto differ = [](const std::string& field, const std::string& what, const std::string& a,
                   const std::string& b) {
    return "the " + what + " ARN is in " + field + " " + b + " but the trust anchor ARN in " + a;
  };
  if (profile->partition != anchor->partition)
    return differ("partition", "profile", anchor->partition, profile->partition);
  if (role->partition != anchor->partition)
    return differ("partition", "role", anchor->partition, role->partition);
  if (profile->account != anchor->account)
    return differ("account", "profile", anchor->account, profile->account);
  if (role->account != anchor->account)
    return differ("account", "role", anchor->account, role->account);
  if (profile->region != anchor->region)
    return differ("region", "profile", anchor->region, profile->region);
  return std::nullopt;
}

std::optional<std::string> duration_problem(long long seconds) {
  if (seconds >= kMinSessionDuration && seconds <= kMaxSessionDuration) return std::nullopt;
  return std::to_string(seconds) + " is outside " + std::to_string(kMinSessionDuration) + ".." +
         std::to_string(kMaxSessionDuration) + " seconds";
}

std::optional<std::string> region_of_endpoint(std::string_view url) {
  std::string_view host = url;
  if (const auto scheme = host.find("://"); scheme != std::string_view::npos)
    host.remove_prefix(scheme + 3);
  host = host.substr(0, host.find_first_of(":/?#"));
  const std::string lower = to_lower(host);
  // rolesanywhere[-fips].<region>.amazonaws.com[.cn], and VPC endpoints:
  // vpce-....rolesanywhere.<region>.vpce.amazonaws.com
  std::vector<std::string> labels;
  for (std::size_t start = 0;;) {
    const std::size_t dot = lower.find('.', start);
    labels.push_back(lower.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (std::size_t i = 0; i + 2 < labels.size(); ++i) {
    if (labels[i] != "rolesanywhere" && labels[i] != "rolesanywhere-fips") continue;
    const std::size_t domain = labels[i + 2] == "vpce" ? i + 3 : i + 2;
    if (domain < labels.size() && labels[domain] == "amazonaws" && is_region(labels[i + 1]))
      return labels[i + 1];
  }
  return std::nullopt;
}

namespace {

struct NamedArn {
  const std::string* text;
  ArnKind kind;
  const char* id;
  const std::string* label;
  const char* noun;
};

Findings arn_shape_rules(const SessionFacts& session, const Labels& labels) {
  const NamedArn arns[] = {
      {&session.trust_anchor_arn, ArnKind::kTrustAnchor, "arn.trust_anchor",
       &labels.trust_anchor_arn, "the trust anchor ARN"},
      {&session.profile_arn, ArnKind::kProfile, "arn.profile", &labels.profile_arn,
       "the profile ARN"},
      {&session.role_arn, ArnKind::kRole, "arn.role", &labels.role_arn, "the role ARN"},
  };
  Findings findings;
  for (const NamedArn& arn : arns) {
    const std::string name = label_or(*arn.label, arn.noun);
    if (arn.text->empty()) {
      findings.push_back({arn.id, Verdict::kSkipped, name + " not given", "give " + name});
      continue;
    }
    if (auto problem = arn_problem(*arn.text, arn.kind))
      findings.push_back({arn.id, Verdict::kProblem,
                          name + " " + *arn.text + " is not an ARN the service takes: " + *problem,
                          "copy it from the Roles Anywhere console or `aws rolesanywhere list-" +
                              std::string(arn.kind == ArnKind::kTrustAnchor ? "trust-anchors"
                                          : arn.kind == ArnKind::kProfile   ? "profiles"
                                                                            : "roles") +
                              "`" + (arn.kind == ArnKind::kRole ? " (aws iam list-roles)" : "")});
    else
      findings.push_back({arn.id, Verdict::kOk, *arn.text, ""});
  }
  return findings;
}

}  // namespace

Findings check_session(const SessionFacts& session, const Labels& labels) {
  Findings findings;
  const bool any_arn = !session.trust_anchor_arn.empty() || !session.profile_arn.empty() ||
                       !session.role_arn.empty();
  if (!any_arn) {
    findings.push_back({"arn", Verdict::kSkipped,
                        "no ARNs given: the trust anchor, profile and role are not checked",
                        "give " + label_or(labels.trust_anchor_arn, "the trust anchor ARN") + ", " +
                            label_or(labels.profile_arn, "the profile ARN") + " and " +
                            label_or(labels.role_arn, "the role ARN")});
  } else {
    append(findings, arn_shape_rules(session, labels));
  }
  const bool all_well_formed = !session.trust_anchor_arn.empty() && !session.profile_arn.empty() &&
                               !session.role_arn.empty() &&
                               !arn_problem(session.trust_anchor_arn, ArnKind::kTrustAnchor) &&
                               !arn_problem(session.profile_arn, ArnKind::kProfile) &&
                               !arn_problem(session.role_arn, ArnKind::kRole);
  if (all_well_formed) {
    if (auto disagreement =
            arns_disagree(session.trust_anchor_arn, session.profile_arn, session.role_arn))
      findings.push_back({"arn.match", Verdict::kProblem, *disagreement,
                          "the trust anchor, profile and role must be in one account and "
                          "partition, the trust anchor and profile in one region: use ARNs of "
                          "resources that belong together"});
    else
      findings.push_back({"arn.match", Verdict::kOk,
                          "the ARNs share partition and account, the trust anchor and profile "
                          "their region",
                          ""});
  }

  // The signing region: --region, else the trust anchor's.
  const auto anchor = split_arn(session.trust_anchor_arn);
  const std::string anchor_region = anchor ? anchor->region : "";
  const std::string signing_region = session.region.value_or(anchor_region);
  const std::string region_name = label_or(labels.region, "the region given");
  if (session.region && !anchor_region.empty() && *session.region != anchor_region)
    findings.push_back({"region", Verdict::kProblem,
                        "requests are signed for " + *session.region + " (" + region_name +
                            ") but the trust anchor is in " + anchor_region +
                            ": the service refuses a signature scoped to another region",
                        "leave out " + region_name + ", or make it " + anchor_region});
  else if (!signing_region.empty())
    findings.push_back({"region", Verdict::kOk,
                        "requests are signed for " + signing_region +
                            (session.region ? "" : " (the trust anchor's)"),
                        ""});

  if (!session.endpoint_error.empty()) {
    findings.push_back({"endpoint", Verdict::kProblem, session.endpoint_error,
                        "give " + label_or(labels.endpoint, "the endpoint") +
                            " as https://host[:port], or leave it out for the regional one"});
  } else if (!session.endpoint_url.empty()) {
    const auto endpoint_region = region_of_endpoint(session.endpoint_url);
    if (endpoint_region && !signing_region.empty() && *endpoint_region != signing_region)
      findings.push_back(
          {"endpoint", Verdict::kProblem,
           session.endpoint_url + " is the endpoint of " + *endpoint_region +
               ", but requests are signed for " + signing_region,
           "use https://rolesanywhere." + signing_region + ".amazonaws.com (leave out " +
               label_or(labels.endpoint, "the endpoint") + "), or ARNs of that region"});
    else
      findings.push_back(
          {"endpoint", Verdict::kOk,
           session.endpoint_url + (endpoint_region ? " (" + *endpoint_region + ")"
                                                   : " (a custom endpoint: its name tells no "
                                                     "region)"),
           ""});
  }

  const std::string duration_name = label_or(labels.session_duration, "the session duration");
  if (auto problem = duration_problem(session.duration_seconds))
    findings.push_back({"duration", Verdict::kProblem, duration_name + " " + *problem,
                        "give " + duration_name +
                            " from 900 (15 minutes) to 43200 (12 hours); "
                            "the role's maximum session duration may be lower"});
  else
    findings.push_back(
        {"duration", Verdict::kOk, std::to_string(session.duration_seconds) + " seconds", ""});
  return findings;
}

}  // namespace rolesanywhere::doctor
