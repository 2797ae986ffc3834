// Shared by the emulator's unit tests: a test PKI made once per process, PEM loading, and
// CreateSession requests signed with the real SigV4-X509 signer.
#pragma once

#include "emulator/emulator_config.hpp"
#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/http.hpp"
#include "rolesanywhere/openssl_ptr.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <optional>
#include <string>
#include <vector>

namespace emulator_test {

// The directory testdata/make-test-pki.sh filled (shared with the identity tests).
const std::string& pki_dir();
// A file of that directory; an absolute path is taken as it is.
std::string pki_path(const std::string& name);

rolesanywhere::X509Ptr load_certificate(const std::string& name);
std::vector<rolesanywhere::X509Ptr> load_certificates(const std::string& name);
rolesanywhere::EvpPkeyPtr load_key(const std::string& name);

// The current time, whole seconds (X-Amz-Date has no fractions).
rolesanywhere::TimePoint now_seconds();

// Serves the defaults with the test root CA as the trust anchor.
rolesanywhere::emulator::EmulatorConfig test_config();

struct SignSpec {
  std::string certificate = "rsa2048.crt.pem";
  std::string key = "rsa2048.key.pem";
  bool send_chain = true;  // the intermediate in X-Amz-X509-Chain
  // When not empty, X-Amz-X509-Chain holds every certificate of these files instead (in order,
  // leaving out the signing certificate itself, as the helper does).
  std::vector<std::string> chain_files;
  std::optional<rolesanywhere::sigv4x509::Algorithm> algorithm;  // default: fits the key
  std::optional<std::string> serial;                             // default: the certificate's
  std::string region = "us-east-1";
  std::string host = "rolesanywhere.us-east-1.amazonaws.com";
  std::string trust_anchor_arn;  // defaults: the served ARNs
  std::string profile_arn;
  std::string role_arn;
  std::string body = R"({"durationSeconds":3600})";
  bool content_type_before_signing = true;  // false: added after signing, so left unsigned
  rolesanywhere::TimePoint signed_at = now_seconds();
};

// POST /sessions with the ARNs in the query, signed by sigv4x509::sign_request; the signer's
// canonical request goes to `canonical` when given.
rolesanywhere::HttpRequest signed_request(const SignSpec& spec = {},
                                          std::string* canonical = nullptr);

}  // namespace emulator_test
