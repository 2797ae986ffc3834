// The checks on the three ARNs, duration and session name that CreateSession would otherwise
// reject with a less helpful message (or, for a region mismatch, sign for the wrong region).
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <cctype>
#include <string>

namespace rolesanywhere {

namespace {

// AWS's documented range for CreateSession durationSeconds.
constexpr int kMinDurationSeconds = 900;
constexpr int kMaxDurationSeconds = 43'200;

[[noreturn]] void invalid(const std::string& message) {
  throw Error(Error::Kind::kInvalidArgument, message);
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// What a message calls a parameter: its flag when the caller named one, else `noun`.
std::string named(const std::string& flag, std::string_view noun) {
  return flag.empty() ? std::string(noun) : flag;
}

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

// A key or value as the service will store it: printable (no control characters, which would
// also break log lines), 1 to 200 characters (bytes here: UTF-8 is counted generously).
void check_instance_property_part(std::string_view part, std::string_view what,
                                  std::string_view text, std::string_view flag) {
  const std::string prefix = std::string(flag.empty() ? "the instance property" : flag) + " " +
                             quoted(text) + ": the " + std::string(what);
  if (part.empty()) invalid(prefix + " is empty (expected KEY=VALUE)");
  if (part.size() > kMaxInstancePropertyLength)
    invalid(prefix + " is " + std::to_string(part.size()) + " characters long; at most " +
            std::to_string(kMaxInstancePropertyLength) + " are allowed");
  for (char c : part)
    if (std::iscntrl(static_cast<unsigned char>(c)))
      invalid(prefix + " contains a control character");
}

}  // namespace

void add_instance_property(std::map<std::string, std::string>& properties, std::string_view text,
                           std::string_view flag) {
  const std::string name(flag.empty() ? "the instance property" : flag);
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) invalid(name + " " + quoted(text) + " must be KEY=VALUE");
  const std::string_view key = text.substr(0, equals);
  const std::string_view value = text.substr(equals + 1);
  check_instance_property_part(key, "key", text, flag);
  check_instance_property_part(value, "value", text, flag);
  if (properties.count(std::string(key))) invalid(name + " " + quoted(key) + " is given twice");
  if (properties.size() >= kMaxInstanceProperties)
    invalid(name + ": at most " + std::to_string(kMaxInstanceProperties) +
            " instance properties may be sent");
  properties.emplace(key, value);
}

void validate(const CreateSessionParams& params) {
  const SessionLabels& labels = params.labels;
  const std::string trust_anchor_name = named(labels.trust_anchor_arn, "the trust anchor ARN");
  const std::string profile_name = named(labels.profile_arn, "the profile ARN");
  const std::string role_name = named(labels.role_arn, "the role ARN");
  const Arn trust_anchor = parse_required_arn(params.trust_anchor_arn, trust_anchor_name);
  const Arn profile = parse_required_arn(params.profile_arn, profile_name);
  const Arn role = parse_required_arn(params.role_arn, role_name);

  require_resource(trust_anchor, params.trust_anchor_arn, trust_anchor_name, "rolesanywhere",
                   "trust-anchor", false);
  require_region(trust_anchor, params.trust_anchor_arn, trust_anchor_name);
  require_resource(profile, params.profile_arn, profile_name, "rolesanywhere", "profile", false);
  require_region(profile, params.profile_arn, profile_name);
  // IAM role names may carry a path: role/division/name.
  require_resource(role, params.role_arn, role_name, "iam", "role", true);
  if (role.account.empty())
    invalid(role_name + " " + quoted(params.role_arn) + " has no account id");

  if (profile.partition != trust_anchor.partition)
    invalid(profile_name + " is in partition " + quoted(profile.partition) + " but " +
            trust_anchor_name + " is in partition " + quoted(trust_anchor.partition));
  if (role.partition != trust_anchor.partition)
    invalid(role_name + " is in partition " + quoted(role.partition) + " but " + trust_anchor_name +
            " is in partition " + quoted(trust_anchor.partition));
  if (profile.region != trust_anchor.region)
    invalid("the regions of " + trust_anchor_name + " (" + trust_anchor.region + ") and " +
            profile_name + " (" + profile.region + ") do not match");

  if (params.duration_seconds < kMinDurationSeconds ||
      params.duration_seconds > kMaxDurationSeconds)
    invalid(named(labels.duration, "the session duration") + " must be between " +
            std::to_string(kMinDurationSeconds) + " and " + std::to_string(kMaxDurationSeconds) +
            " seconds, not " + std::to_string(params.duration_seconds));

  if (params.role_session_name && !is_role_session_name(*params.role_session_name))
    invalid(named(labels.role_session_name, "the role session name") + " " +
            quoted(*params.role_session_name) +
            " must be 2 to 64 characters of letters, digits and +=,.@_-");

  if (params.region && !is_region_name(*params.region))
    invalid(named(labels.region, "the region") + " " + quoted(*params.region) +
            " is not a region name");
}

}  // namespace rolesanywhere
