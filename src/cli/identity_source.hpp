// From the identity flags to the library's IdentitySource: refuses the key sources that are not
// built yet, and lets the library ask for a key password or a PIN on the terminal.
#pragma once

#include "command_line.hpp"

#include "rolesanywhere/provider.hpp"

namespace rolesanywhere::cli {

// Refuses flags and URIs of key sources that are not built yet, with a message naming them.
void reject_unsupported_sources(const IdentityFlags& flags);

// The flags' source, checked with reject_unsupported_sources, with the terminal as the way to
// ask for a key file's password or a token's PIN.
IdentitySource identity_source(IdentityFlags flags);

}  // namespace rolesanywhere::cli
