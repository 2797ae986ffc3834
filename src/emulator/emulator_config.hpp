// What the emulator serves: one trust anchor with its CA certificates, one profile, and one or
// more roles (a serve with several bindings asks for several).
#pragma once

#include "rolesanywhere/openssl_ptr.hpp"

#include <string>
#include <vector>

namespace rolesanywhere::emulator {

inline constexpr const char* kDefaultTrustAnchorArn =
    "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"
    "1c4c5a7e-0d2e-4c8b-9f4e-6b0a3f2d9e11";
inline constexpr const char* kDefaultProfileArn =
    "arn:aws:rolesanywhere:us-east-1:123456789012:profile/"
    "5e7a1b2c-3d4e-4f60-8a9b-0c1d2e3f4a5b";
inline constexpr const char* kDefaultRoleArn = "arn:aws:iam::123456789012:role/EmulatorRole";

struct EmulatorConfig {
  std::string trust_anchor_arn = kDefaultTrustAnchorArn;
  std::string profile_arn = kDefaultProfileArn;
  std::string role_arn = kDefaultRoleArn;    // the first role served
  std::vector<std::string> other_role_arns;  // further roles served (--role-arn repeated)
  std::string region;  // the signing region requests must use; finish_config: the anchor's
  // Sessions last at most this long, whatever durationSeconds asks (the service's minimum is
  // 900 s): short sessions for soak tests of refreshing clients. 0: as asked.
  int max_session_seconds = 0;
  // The profile requires instance properties (its requireInstanceProperties): a CreateSession
  // without any is refused.
  bool require_instance_properties = false;
  std::vector<X509Ptr> trust_anchor_certificates;  // the CA(s) of the trust anchor

  bool serves_role(const std::string& arn) const;
  // "'a'" or "'a', 'b'": for messages that say what is served.
  std::string served_roles_text() const;
};

// Every certificate in each PEM file; throws Error(kInput) naming the file when one is unreadable
// or holds no certificate.
std::vector<X509Ptr> load_ca_certificates(const std::vector<std::string>& paths);

// Checks the ARNs' shapes (every role's, none twice), that a region is known and
// max_session_seconds is within 0..43200; throws Error(kInvalidArgument) naming the flag. The
// region defaults to the trust anchor's when `region` is empty.
void finish_config(EmulatorConfig& config);

}  // namespace rolesanywhere::emulator
