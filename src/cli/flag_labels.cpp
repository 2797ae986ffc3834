#include "flag_labels.hpp"

namespace rolesanywhere::cli {

IdentityLabels identity_labels() {
  IdentityLabels labels;
  labels.certificate = "--certificate";
  labels.private_key = "--private-key";
  labels.intermediates = "--intermediates";
  labels.key_password = "--pkcs8-password";
  labels.reuse_pin = "--reuse-pin";
  labels.pkcs11_module = "--pkcs11-lib";
  labels.tpm_key_password = "--tpm-key-password";
  labels.no_tpm_key_password = "--no-tpm-key-password";
  return labels;
}

SessionLabels session_labels() {
  SessionLabels labels;
  labels.trust_anchor_arn = "--trust-anchor-arn";
  labels.profile_arn = "--profile-arn";
  labels.role_arn = "--role-arn";
  labels.duration = "--session-duration";
  labels.role_session_name = "--role-session-name";
  labels.region = "--region";
  labels.endpoint = "--endpoint";
  return labels;
}

}  // namespace rolesanywhere::cli
