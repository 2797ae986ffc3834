// The shapes of the three ARNs CreateSession takes, checked the way the service would before it
// looks anything up. Deliberately independent of the client's ARN parsing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::emulator {

enum class ArnKind { kTrustAnchor, kProfile, kRole };

struct ArnParts {
  std::string partition;
  std::string service;
  std::string region;
  std::string account;
  std::string resource;  // "trust-anchor/<uuid>", "profile/<uuid>", "role/<path>/<name>"
};

// nullopt when well formed; otherwise what is wrong with it, for a ValidationException message.
std::optional<std::string> arn_problem(std::string_view arn, ArnKind kind);
// Splits an ARN into its parts; nullopt when it has fewer than six ':'-separated fields.
std::optional<ArnParts> split_arn(std::string_view arn);

// "role/path/Name" -> "Name"
std::string role_name(std::string_view role_arn);

}  // namespace rolesanywhere::emulator
