#include "arn_check.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace rolesanywhere::emulator {

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

std::string role_name(std::string_view role_arn) {
  const std::size_t slash = role_arn.rfind('/');
  return std::string(slash == std::string_view::npos ? role_arn : role_arn.substr(slash + 1));
}

}  // namespace rolesanywhere::emulator
