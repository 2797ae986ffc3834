// The shapes of the three ARNs CreateSession takes. The rules are doctor's (doctor.hpp), shared so
// that doctor and the emulator judge ARNs alike; the names here are the emulator's.
#pragma once

#include "rolesanywhere/doctor.hpp"

#include <string>
#include <string_view>

namespace rolesanywhere::emulator {

using doctor::arn_problem;
using doctor::ArnKind;
using doctor::ArnParts;
using doctor::arns_disagree;
using doctor::split_arn;

// "role/path/Name" -> "Name"
std::string role_name(std::string_view role_arn);

}  // namespace rolesanywhere::emulator
