// What the identity harnesses share: the password every encrypted seed uses (the test PKI's,
// testdata/make-test-pki.sh), a provider that answers it, and the checks of a loaded key.
#pragma once

#include "fuzz_support.hpp"
#include "identity/identity_detail.hpp"

#include "rolesanywhere/diagnostics.hpp"
#include "rolesanywhere/error.hpp"

namespace fuzz {

inline constexpr const char* kKeyPassword = "test-password";

// As the command line asks: once, when OpenSSL needs a password.
inline rolesanywhere::identity_detail::KeyPassword asking_key_password() {
  return rolesanywhere::identity_detail::KeyPassword(
      std::nullopt,
      [](const std::string&) {
        return std::optional<rolesanywhere::SecretString>(
            rolesanywhere::SecretString(kKeyPassword));
      },
      "--pkcs8-password");
}

// An error about a key file: our type, and never the password.
inline void check_key_error(const rolesanywhere::Error& error) {
  const std::string message = error.what();
  check(message.find(kKeyPassword) == std::string::npos, "a key error does not show the password",
        message);
}

// What the helper does with a key it loaded: check it, and sign with it when it is supported.
inline void use_key(EVP_PKEY* key) {
  using namespace rolesanywhere;
  if (identity_detail::key_support_problem(key)) return;
  const std::vector<std::uint8_t> signature = sign_with_key(key, "fuzz", Digest::kSha256);
  check(!signature.empty(), "a supported key signs");
  (void)fixed_string_to_sign(key);
}

// What read-certificate-data, the signer and the pre-send checks read of a certificate.
inline void use_certificate(X509* certificate) {
  using namespace rolesanywhere;
  (void)serial_decimal(certificate);
  (void)serial_hex(certificate);
  (void)subject_name(certificate);
  (void)issuer_name(certificate);
  (void)der_base64(certificate);
  try {
    (void)not_before(certificate);
    (void)not_after(certificate);
    (void)identity_detail::validity_problem(certificate,
                                            TimePoint(std::chrono::seconds(1'800'000'000)));
    (void)certificate_data_json(certificate);
  } catch (const Error&) {
    // A malformed validity date or an unsupported key is an Error; a crash is not.
  }
}

}  // namespace fuzz
