// From the identity flags to the library's IdentitySource: refuses the key sources that are not
// built yet, and lets the library ask for a key password or a PIN on the terminal.
#pragma once

#include "command_line.hpp"

#include "rolesanywhere/provider.hpp"

namespace rolesanywhere::cli {

// Reads the env:NAME and fd:N values of --certificate, --private-key and --intermediates in argv
// (a subcommand's flags), removing the variables from the environment: from main, before any
// thread. A missing variable or closed descriptor is reported when the identity is loaded.
void preload_inline_identity_flags(int argc, char** argv);

// Refuses flags and URIs of key sources that are not built yet, with a message naming them.
void reject_unsupported_sources(const IdentityFlags& flags);

// The flags' source, checked with reject_unsupported_sources, with the terminal as the way to
// ask for a key file's password or a token's PIN.
IdentitySource identity_source(IdentityFlags flags);

}  // namespace rolesanywhere::cli
