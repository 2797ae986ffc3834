// Certificates built in memory for doctor's rule tests, each with exactly the property a test is
// about, and the generated cases of tests/doctor/make-doctor-pki.sh (shared with the e2e test).
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace doctor_test {

rolesanywhere::EvpPkeyPtr ec_key(const char* curve = "P-256");
rolesanywhere::EvpPkeyPtr rsa_key(int bits);

struct CertificateSpec {
  std::string common_name = "leaf";
  EVP_PKEY* key = nullptr;         // the certified key
  X509* issuer = nullptr;          // null: self-signed with `key`
  EVP_PKEY* issuer_key = nullptr;  // the issuer's private key (ignored when self-signed)
  bool v1 = false;                 // X.509 v1: no extensions at all
  long serial = 0x1234;            // may be negative or zero
  std::string serial_hex;          // when set, instead of `serial` (long serials)
  std::chrono::seconds not_before = -std::chrono::hours(1);  // from `now`
  std::chrono::seconds not_after = std::chrono::hours(24 * 30);
  // Extension lines as openssl's config takes them: {NID_basic_constraints, "critical,CA:FALSE"}.
  std::vector<std::pair<int, std::string>> extensions;
  // By name or OID, for extensions OpenSSL has no NID for: {"1.2.3.4", "critical,DER:05:00"}.
  std::vector<std::pair<std::string, std::string>> named_extensions;
  const EVP_MD* digest = EVP_sha256();
};
rolesanywhere::X509Ptr make_certificate(const CertificateSpec& spec, rolesanywhere::TimePoint now);

// Extension sets of the usual kinds.
std::vector<std::pair<int, std::string>> leaf_extensions();
std::vector<std::pair<int, std::string>> ca_extensions(const std::string& path_length = "");

rolesanywhere::X509Ptr copy(X509* certificate);

// The ids of the findings with this verdict, in order.
std::vector<std::string> ids_with(const rolesanywhere::doctor::Findings& findings,
                                  rolesanywhere::doctor::Verdict verdict);
// The first finding with this id (a copy: findings are often a temporary); fails the test when
// there is none.
rolesanywhere::doctor::Finding finding(const rolesanywhere::doctor::Findings& findings,
                                       const std::string& id);

// One line of tests/doctor/make-doctor-pki.sh's manifest, with absolute paths ("" for none).
struct GeneratedCase {
  std::string name, verdict, id, emulator, certificate, key, intermediates, anchor, crl, phrase;
};
// The generated cases, made once a day per machine.
const std::vector<GeneratedCase>& generated_cases();

}  // namespace doctor_test
