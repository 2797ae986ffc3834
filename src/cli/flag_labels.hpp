// The flag names the library's messages point to, as add_identity_flags and add_session_flags
// spell them; read_identity_flags and read_session_flags put them into what they return. Apart
// from cxxopts, so the unit tests check the messages with the very names the command line uses.
#pragma once

#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/session.hpp"

namespace rolesanywhere::cli {

IdentityLabels identity_labels();
SessionLabels session_labels();

}  // namespace rolesanywhere::cli
