// What the rules read off a certificate, in the words a person needs: names, dates, extensions.
// Written against OpenSSL alone (no identity module), so the emulator's rules stay independent of
// the client's loading code.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <optional>
#include <string>

namespace rolesanywhere::doctor_detail {

std::string name_text(const X509_NAME* name);  // RFC 2253: "CN=Test Root CA,O=Example"
std::string subject(X509* certificate);
std::string issuer(X509* certificate);
// Subject and issuer are the same name (a root, or a self-signed leaf).
bool self_issued(X509* certificate);

// "2026-12-04T10:00:00Z"
std::string time_text(const ASN1_TIME* time);

// Where `now` stands in the certificate's validity. Computed on the certificate's own ASN.1 times
// so a root valid until 9999 needs no conversion to a time point.
struct Validity {
  bool not_yet_valid = false;
  bool expired = false;
  long long days_left = 0;      // until notAfter (negative once expired)
  long long days_to_start = 0;  // until notBefore, when not yet valid
  std::string not_before;
  std::string not_after;
};
Validity validity_at(X509* certificate, TimePoint now);

// basicConstraints CA:TRUE.
bool says_ca(X509* certificate);
bool has_basic_constraints(X509* certificate);
// keyUsage present (false: every usage allowed).
bool has_key_usage(X509* certificate);
// The key usage bits (KU_* of x509v3.h); every bit when the extension is absent.
unsigned key_usage(X509* certificate);
// "digitalSignature, keyEncipherment"; "none" when empty.
std::string key_usage_text(unsigned usage);
// pathLenConstraint, or -1 when there is none.
long path_length(X509* certificate);

// The digest of the certificate's signature, when it has one (NID_undef for Ed25519), and the
// algorithm's name as `openssl x509 -text` shows it ("sha256WithRSAEncryption").
struct SignatureAlgorithm {
  int digest_nid = 0;
  std::string name;
  bool acceptable = false;  // SHA-256 or stronger, with RSA or ECDSA
};
SignatureAlgorithm signature_algorithm(X509* certificate);

// The issuer's signature on `certificate` verifies with `issuer`'s public key.
bool signed_by(X509* certificate, X509* issuer);

}  // namespace rolesanywhere::doctor_detail
