// The signing certificate's rules, as the Roles Anywhere user guide lists them for end-entity
// certificates ("Signing certificate requirements" in its trust model), plus RFC 5280's serial.
#include "rolesanywhere/doctor.hpp"
#include "x509_facts.hpp"

#include "rolesanywhere/openssl_ptr.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <array>

namespace rolesanywhere::doctor {

namespace {

using namespace doctor_detail;

constexpr std::size_t kMaxSerialBytes = 20;

Finding version_rule(X509* leaf) {
  if (X509_get_version(leaf) == X509_VERSION_3)
    return {"leaf.version", Verdict::kOk, "X.509 v3", ""};
  return {"leaf.version", Verdict::kProblem,
          "X.509 v" + std::to_string(X509_get_version(leaf) + 1) +
              ": Roles Anywhere takes only v3 certificates",
          "issue it with extensions, which makes it v3: `openssl x509 -req ... -extfile leaf.cnf` "
          "with \"basicConstraints = critical, CA:FALSE\" and \"keyUsage = critical, "
          "digitalSignature\""};
}

Finding ca_rule(X509* leaf) {
  if (says_ca(leaf))
    return {"leaf.ca", Verdict::kProblem,
            "basicConstraints says CA:TRUE: a CA certificate cannot sign for Roles Anywhere",
            "issue an end-entity certificate, with the extension line \"basicConstraints = "
            "critical, CA:FALSE\""};
  return {"leaf.ca", Verdict::kOk,
          has_basic_constraints(leaf) ? "an end-entity certificate (basicConstraints CA:FALSE)"
                                      : "an end-entity certificate (no basicConstraints)",
          ""};
}

Finding key_usage_rule(X509* leaf) {
  if (!has_key_usage(leaf))
    return {"leaf.key_usage", Verdict::kOk, "no keyUsage extension: every usage is allowed", ""};
  const unsigned usage = key_usage(leaf);
  if (usage & KU_DIGITAL_SIGNATURE)
    return {"leaf.key_usage", Verdict::kOk, "keyUsage " + key_usage_text(usage), ""};
  return {"leaf.key_usage", Verdict::kProblem,
          "keyUsage is " + key_usage_text(usage) +
              ", without digitalSignature: the key may not sign requests",
          "issue it with the extension line \"keyUsage = critical, digitalSignature\""};
}

Finding algorithm_rule(X509* leaf) {
  const SignatureAlgorithm algorithm = signature_algorithm(leaf);
  if (algorithm.acceptable)
    return {"leaf.algorithm", Verdict::kOk, "signed with " + algorithm.name, ""};
  return {"leaf.algorithm", Verdict::kProblem,
          "signed with " + algorithm.name +
              ": Roles Anywhere wants RSA or ECDSA with SHA-256 or stronger (no MD5, no SHA-1)",
          "have the CA sign it again with SHA-256: `openssl ca -md sha256 ...` or "
          "`openssl x509 -req -sha256 ...`"};
}

Finding validity_rule(X509* leaf, TimePoint now) {
  const Validity validity = validity_at(leaf, now);
  if (validity.not_yet_valid)
    return {"leaf.validity", Verdict::kProblem,
            "not valid until " + validity.not_before + " (in " +
                std::to_string(validity.days_to_start) + " days)",
            "wait until then, or check this machine's clock and the CA's "
            "(`openssl x509 -noout -dates -in CERT`)"};
  if (validity.expired)
    return {"leaf.validity", Verdict::kProblem,
            "expired on " + validity.not_after + " (" + std::to_string(-validity.days_left) +
                " days ago)",
            "have the CA issue a new certificate for this key, or renew it"};
  const std::string left = "valid until " + validity.not_after + " (" +
                           std::to_string(validity.days_left) + " days left)";
  const auto warn_days = std::chrono::duration_cast<std::chrono::days>(kExpiryWarning).count();
  if (validity.days_left < warn_days)
    return {"leaf.validity", Verdict::kWarning, left, "renew it before it expires"};
  return {"leaf.validity", Verdict::kOk, left, ""};
}

Finding serial_rule(X509* leaf) {
  const std::string fix =
      "issue it again with a positive random serial of at most 20 bytes, e.g. `openssl x509 "
      "-req ... -set_serial 0x$(openssl rand -hex 16)` (or let `openssl ca` pick it)";
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), nullptr));
  if (!serial) {
    ERR_clear_error();
    return {"leaf.serial", Verdict::kProblem, "the serial number cannot be read", fix};
  }
  OpensslString hex(BN_bn2hex(serial.get()));
  const std::string shown = hex ? std::string(hex.get()) : "?";
  if (BN_is_negative(serial.get()) || BN_is_zero(serial.get()))
    return {"leaf.serial", Verdict::kProblem,
            "serial number " + shown + " is not positive (RFC 5280 wants a positive integer)", fix};
  // The DER content: the magnitude, plus a leading zero byte when its top bit is set.
  const std::size_t bytes = static_cast<std::size_t>(BN_num_bytes(serial.get())) +
                            (BN_num_bits(serial.get()) % 8 == 0 ? 1 : 0);
  if (bytes > kMaxSerialBytes)
    return {"leaf.serial", Verdict::kProblem,
            "serial number " + shown + " takes " + std::to_string(bytes) +
                " bytes; RFC 5280 allows at most 20",
            fix};
  return {"leaf.serial", Verdict::kOk,
          "serial number " + shown + " (" + std::to_string(bytes) + " bytes)", ""};
}

std::string curve_display_name(const std::string& group) {
  static constexpr std::array<std::pair<const char*, const char*>, 3> kNist{{
      {"prime256v1", "P-256"},
      {"secp384r1", "P-384"},
      {"secp521r1", "P-521"},
  }};
  for (const auto& [openssl_name, nist_name] : kNist)
    if (group == openssl_name) return nist_name;
  return group;
}

}  // namespace

std::string describe_public_key(EVP_PKEY* key) {
  if (!key) return "no public key";
  if (EVP_PKEY_is_a(key, "RSA")) return "RSA " + std::to_string(EVP_PKEY_get_bits(key)) + " bits";
  if (EVP_PKEY_is_a(key, "EC")) return "EC " + curve_display_name(ec_curve_name(key));
  const char* type = EVP_PKEY_get0_type_name(key);
  return type ? type : "a key of an unknown type";
}

Finding check_key_type(EVP_PKEY* public_key) {
  const std::string described = describe_public_key(public_key);
  bool supported = false;
  if (public_key && EVP_PKEY_is_a(public_key, "RSA"))
    supported = EVP_PKEY_get_bits(public_key) >= 2048;
  if (public_key && EVP_PKEY_is_a(public_key, "EC")) {
    const std::string curve = ec_curve_name(public_key);
    supported = curve == "prime256v1" || curve == "secp384r1" || curve == "secp521r1";
  }
  if (supported) return {"leaf.key", Verdict::kOk, "key: " + described, ""};
  return {"leaf.key", Verdict::kProblem,
          "key: " + described +
              ": Roles Anywhere takes RSA keys of 2048 bits or more and EC keys on P-256, "
              "P-384 or P-521",
          "make a new key and have a certificate issued for it: `openssl genpkey -algorithm EC "
          "-pkeyopt ec_paramgen_curve:P-256 -out key.pem` (or `-algorithm RSA -pkeyopt "
          "rsa_keygen_bits:2048`)"};
}

Findings check_leaf(X509* leaf, TimePoint now) {
  return {version_rule(leaf),
          ca_rule(leaf),
          key_usage_rule(leaf),
          algorithm_rule(leaf),
          check_key_type(X509_get0_pubkey(leaf)),
          validity_rule(leaf, now),
          serial_rule(leaf)};
}

}  // namespace rolesanywhere::doctor
