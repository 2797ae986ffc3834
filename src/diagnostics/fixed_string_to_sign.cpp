#include "rolesanywhere/diagnostics.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <openssl/core_names.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

namespace rolesanywhere {

namespace {

constexpr std::string_view kTestPrefix = "AWS Roles Anywhere Credential Helper Signing Test";
constexpr std::string_view kTestVersion = "1";  // SIGN_STRING_TEST_VERSION, as ASCII digits

// The bytes aws_signing_helper hashes: PKCS#1 RSAPublicKey for RSA, 04||X||Y for EC.
std::string public_key_bytes(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    unsigned char* der = nullptr;
    const int length = i2d_PublicKey(key, &der);
    const OpensslBytes owned(der);
    if (length <= 0) throw Error(Error::Kind::kCrypto, "cannot encode the RSA public key");
    return std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    std::size_t length = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0,
                                        &length) != 1)
      throw Error(Error::Kind::kCrypto, "cannot encode the EC public key");
    std::string bytes(length, '\0');
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                    reinterpret_cast<unsigned char*>(bytes.data()), length,
                                    &length);
    bytes.resize(length);
    return bytes;
  }
  return {};  // as the official helper: other key types get no suffix
}

}  // namespace

std::string fixed_string_to_sign(EVP_PKEY* key) {
  std::string message(kTestPrefix);
  message += kTestVersion;
  std::string key_bytes = public_key_bytes(key);
  if (!key_bytes.empty()) {
    std::string hashed = "IAM RA" + key_bytes;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(hashed.data()), hashed.size(), digest);
    message.append(reinterpret_cast<const char*>(digest), sizeof digest);
  }
  return message;
}

}  // namespace rolesanywhere
