// The identity as doctor reads it: from key files piece by piece (each file its own finding, so
// an unsupported key does not hide an expired certificate), from any other key source (a PKCS#11
// token, a TPM key) through load_identity, which stops at the first problem.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/provider.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rolesanywhere::doctor_detail {

struct LoadedIdentity {
  X509Ptr leaf;                // null when the certificate could not be read
  std::vector<X509Ptr> chain;  // what would be sent as X-Amz-X509-Chain
  EvpPkeyPtr key;              // null when the key could not be read
  // The identity load_identity built (a token, a TPM key, ...): it owns what the key needs.
  std::optional<Identity> identity;
  // The password typed for an encrypted key, kept so a later load does not ask again.
  std::optional<SecretString> password;
};

// Appends the findings of reading it (files.*, identity, key.match, key.supported).
LoadedIdentity load_for_doctor(const IdentitySource& source, const Clock& clock,
                               const DebugSink& debug, doctor::Findings& findings);

// The Identity that signs --online's CreateSession; throws Error when the pieces make none.
Identity signing_identity(LoadedIdentity& loaded);

// A certificate or key source as it may be shown: a PKCS#11 URI's pin-value is masked.
std::string shown_source(const std::string& source);

}  // namespace rolesanywhere::doctor_detail
