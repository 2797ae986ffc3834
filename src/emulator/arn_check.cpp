#include "arn_check.hpp"

namespace rolesanywhere::emulator {

std::string role_name(std::string_view role_arn) {
  const std::size_t slash = role_arn.rfind('/');
  return std::string(slash == std::string_view::npos ? role_arn : role_arn.substr(slash + 1));
}

}  // namespace rolesanywhere::emulator
