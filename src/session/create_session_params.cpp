// The checks on the three ARNs, duration and session name that CreateSession would otherwise
// reject with a less helpful message (or, for a region mismatch, sign for the wrong region).
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <cctype>
#include <string>

namespace rolesanywhere {

namespace {

constexpr std::string_view kTrustAnchorFlag = "--trust-anchor-arn";
constexpr std::string_view kProfileFlag = "--profile-arn";
constexpr std::string_view kRoleFlag = "--role-arn";

// AWS's documented range for CreateSession durationSeconds.
constexpr int kMinDurationSeconds = 900;
constexpr int kMaxDurationSeconds = 43'200;

[[noreturn]] void invalid(const std::string& message) {
  throw Error(Error::Kind::kInvalidArgument, message);
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Region names go into a host name, so only what real regions use is allowed.
bool is_region_name(std::string_view region) {
  if (region.empty()) return false;
  for (char c : region)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return false;
  return region.front() != '-' && region.back() != '-';
}

Arn parse_required_arn(const std::string& text, std::string_view flag) {
  if (text.empty()) invalid(std::string(flag) + " is required");
  return parse_arn(text, flag);
}

// "trust-anchor/<id>": the prefix and a non-empty id without further slashes.
void require_resource(const Arn& arn, std::string_view text, std::string_view flag,
                      std::string_view service, std::string_view type, bool allow_path) {
  if (arn.service != service)
    invalid(std::string(flag) + " " + quoted(text) + " is an ARN of service " +
            quoted(arn.service) + ", expected " + quoted(service));
  const std::string prefix = std::string(type) + "/";
  const bool has_prefix = arn.resource.starts_with(prefix) && arn.resource.size() > prefix.size();
  const bool id_ok = allow_path || arn.resource.find('/', prefix.size()) == std::string::npos;
  if (!has_prefix || !id_ok)
    invalid(std::string(flag) + " " + quoted(text) + " does not name a " + std::string(type) +
            " (expected a resource of the form " + prefix + "<id>)");
}

void require_region(const Arn& arn, std::string_view text, std::string_view flag) {
  if (!is_region_name(arn.region))
    invalid(std::string(flag) + " " + quoted(text) + " has no valid region");
}

// STS's RoleSessionName rule: 2 to 64 of [\w+=,.@-].
bool is_role_session_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 64) return false;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (!(std::isalnum(byte) || c == '_' || c == '+' || c == '=' || c == ',' || c == '.' ||
          c == '@' || c == '-'))
      return false;
  }
  return true;
}

}  // namespace

void validate(const CreateSessionParams& params) {
  const Arn trust_anchor = parse_required_arn(params.trust_anchor_arn, kTrustAnchorFlag);
  const Arn profile = parse_required_arn(params.profile_arn, kProfileFlag);
  const Arn role = parse_required_arn(params.role_arn, kRoleFlag);

  require_resource(trust_anchor, params.trust_anchor_arn, kTrustAnchorFlag, "rolesanywhere",
                   "trust-anchor", false);
  require_region(trust_anchor, params.trust_anchor_arn, kTrustAnchorFlag);
  require_resource(profile, params.profile_arn, kProfileFlag, "rolesanywhere", "profile", false);
  require_region(profile, params.profile_arn, kProfileFlag);
  // IAM role names may carry a path: role/division/name.
  require_resource(role, params.role_arn, kRoleFlag, "iam", "role", true);
  if (role.account.empty())
    invalid(std::string(kRoleFlag) + " " + quoted(params.role_arn) + " has no account id");

  if (profile.partition != trust_anchor.partition)
    invalid(std::string(kProfileFlag) + " is in partition " + quoted(profile.partition) + " but " +
            std::string(kTrustAnchorFlag) + " is in partition " + quoted(trust_anchor.partition));
  if (role.partition != trust_anchor.partition)
    invalid(std::string(kRoleFlag) + " is in partition " + quoted(role.partition) + " but " +
            std::string(kTrustAnchorFlag) + " is in partition " + quoted(trust_anchor.partition));
  if (profile.region != trust_anchor.region)
    invalid("the regions of " + std::string(kTrustAnchorFlag) + " (" + trust_anchor.region +
            ") and " + std::string(kProfileFlag) + " (" + profile.region + ") do not match");

  if (params.duration_seconds < kMinDurationSeconds ||
      params.duration_seconds > kMaxDurationSeconds)
    invalid("--session-duration must be between " + std::to_string(kMinDurationSeconds) + " and " +
            std::to_string(kMaxDurationSeconds) + " seconds, not " +
            std::to_string(params.duration_seconds));

  if (params.role_session_name && !is_role_session_name(*params.role_session_name))
    invalid("--role-session-name " + quoted(*params.role_session_name) +
            " must be 2 to 64 characters of letters, digits and +=,.@_-");

  if (params.region && !is_region_name(*params.region))
    invalid("--region " + quoted(*params.region) + " is not a region name");
}

}  // namespace rolesanywhere
