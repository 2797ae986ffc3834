// Running doctor: read what credential-process would read (the certificate, key and chain from
// files, a PKCS#11 token or any other key source), the trust anchor's certificates and CRL, the
// environment, and with `online` ask the service once; then apply doctor's rules (doctor.hpp) and
// return every finding. Nothing here prints, and no finding holds a secret: not a password, a
// PIN, a proxy's credentials, nor the credentials the service issues.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/session.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rolesanywhere::doctor {

struct DoctorOptions {
  // The identity as credential-process takes it. Key files are read piece by piece, so that
  // every problem is found, not only the first; other key sources (tokens, TPM keys) through
  // load_identity. With neither a certificate nor a key, the identity is not checked.
  IdentitySource identity;
  // Why the identity cannot be used at all (a key source this build does not offer): reported as
  // the identity's problem, and nothing is loaded.
  std::string identity_refused;
  std::string trust_anchor_certificate;  // PEM or DER file of the trust anchor's CA(s); optional
  std::string crl;                       // PEM or DER file of CRL(s); optional
  CreateSessionParams session;           // ARNs not given are empty
  TransportOptions transport;
  // env.proxy, env.ca_bundle and env.tls; off for the run of a config file's profile.
  bool check_environment = true;
  Environment environment;
  std::optional<std::string> aws_ca_bundle;  // AWS_CA_BUNDLE, when set
  // One real CreateSession: whether it is granted (never showing the credentials), what a
  // refusal means, and the clock against the answer's Date header.
  bool online = false;
  // The transport for `online`; null: libcurl with `transport`. Tests inject their own.
  std::unique_ptr<HttpTransport> online_transport;
  Labels labels;
  DebugSink debug;
};

// Every finding, in this order: files and key, the signing certificate, the chain and trust
// anchor, revocation, ARNs, region, endpoint and duration, the environment, the clock, and the
// CreateSession of `online`.
Findings run_doctor(DoctorOptions options, const Clock& clock);

// An AWS config file's credential_process lines.
struct ConfigFile {
  std::string path;
  bool found = false;  // false: there is no such file (not an error)
  std::string error;   // it exists but cannot be read
  AwsConfig contents;  // what the AWS CLI reads of it (or why it refuses it)
};
ConfigFile read_config_file(const std::string& path);

}  // namespace rolesanywhere::doctor
