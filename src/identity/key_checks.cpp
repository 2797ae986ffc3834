// What makes a key and certificate usable for Roles Anywhere: the key types the service accepts,
// a key that belongs to the certificate, and a certificate inside its validity period. Checked at
// load time so the person gets the reason here rather than an opaque AccessDenied from AWS.
#include "identity_detail.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <array>

namespace rolesanywhere {
namespace identity_detail {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 4096;

struct Curve {
  const char* openssl_name;
  const char* nist_name;
};
constexpr std::array<Curve, 3> kSupportedCurves{{
    {"prime256v1", "P-256"},
    {"secp384r1", "P-384"},
    {"secp521r1", "P-521"},
}};

constexpr const char* kWhatIsSupported =
    "only RSA keys of 2048 to 4096 bits and EC keys on P-256, P-384 or P-521 are supported";

// Names for the key types people meet, so the message says "Ed25519", not "ED25519" or a NID.
std::string key_type_name(EVP_PKEY* key) {
  static constexpr std::array<std::pair<const char*, const char*>, 8> kNames{{
      {"ED25519", "Ed25519"},
      {"ED448", "Ed448"},
      {"X25519", "X25519"},
      {"X448", "X448"},
      {"RSA-PSS", "RSA-PSS"},
      {"DSA", "DSA"},
      {"DH", "DH"},
      {"SM2", "SM2"},
  }};
  for (const auto& [openssl_name, display_name] : kNames) {
    if (EVP_PKEY_is_a(key, openssl_name)) return display_name;
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  return name ? name : "unknown";
}

}  // namespace

std::optional<std::string> key_support_problem(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits >= kMinRsaBits && bits <= kMaxRsaBits) return std::nullopt;
    return "an RSA key of " + std::to_string(bits) + " bits (" + kWhatIsSupported + ")";
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    const std::string curve = ec_curve_name(key);
    for (const Curve& supported : kSupportedCurves) {
      if (curve == supported.openssl_name) return std::nullopt;
    }
    return "an EC key on curve " + curve + " (" + kWhatIsSupported + ")";
  }
  return "a key of type " + key_type_name(key) + " (" + kWhatIsSupported + ")";
}

bool key_matches_certificate(EVP_PKEY* key, X509* certificate) {
  EVP_PKEY* certificate_key = X509_get0_pubkey(certificate);
  const bool matches = certificate_key && EVP_PKEY_eq(certificate_key, key) == 1;
  ERR_clear_error();
  return matches;
}

std::optional<std::string> validity_problem(X509* certificate, TimePoint now) {
  const TimePoint expiry = not_after(certificate);
  if (now > expiry) return "expired on " + format_iso8601(expiry);
  const TimePoint start = not_before(certificate);
  if (now < start) return "is not valid until " + format_iso8601(start);
  return std::nullopt;
}

}  // namespace identity_detail

void check_key_supported(EVP_PKEY* key) {
  if (auto problem = identity_detail::key_support_problem(key)) {
    throw Error(Error::Kind::kCrypto, "unsupported private key: " + *problem);
  }
}

void check_key_matches_certificate(EVP_PKEY* key, X509* certificate) {
  if (!identity_detail::key_matches_certificate(key, certificate)) {
    throw Error(Error::Kind::kCrypto, "the private key does not match the certificate");
  }
}

void check_certificate_validity(X509* certificate, TimePoint now) {
  if (auto problem = identity_detail::validity_problem(certificate, now)) {
    throw Error(Error::Kind::kCrypto, "certificate " + subject_name(certificate) + " " + *problem);
  }
}

}  // namespace rolesanywhere
