// Turns the identity flags into a signing identity; the one place that knows which key sources
// exist. PKCS#11, TPM and certificate stores plug in here.
#pragma once

#include "command_line.hpp"
#include "pin_prompt.hpp"

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/identity.hpp"

#include <string>
#include <vector>

namespace rolesanywhere::cli {

// Refuses flags and URIs of key sources that are not built yet, with a message naming them.
void reject_unsupported_sources(const IdentityFlags& flags);

// `ask_password` answers an encrypted key file that --pkcs8-password did not; by default it asks
// on the terminal.
Identity load_identity(const IdentityFlags& flags, const Clock& clock, const DebugSink& debug,
                       const PasswordProvider& ask_password = prompt_key_password_on_terminal);

// The files an identity from these flags is read from (certificate, key, intermediates), which
// serve and update watch for renewals; empty when a PKCS#11 token holds any part of it.
std::vector<std::string> identity_files(const IdentityFlags& flags);

// Just the private key (sign-string needs no certificate); from --private-key, or the key in a
// PKCS#12 --certificate. Under --debug, says what was loaded.
EvpPkeyPtr load_signing_key(const IdentityFlags& flags, const DebugSink& debug);

// For --debug: "RSA 2048 bits", "EC prime256v1".
std::string describe_key(EVP_PKEY* key);
// For --debug: "<what>: subject "...", issuer "...", serial N (hex H), valid A to B".
void debug_certificate(const DebugSink& debug, const std::string& what, X509* certificate);

}  // namespace rolesanywhere::cli
