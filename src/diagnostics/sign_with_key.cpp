#include "rolesanywhere/diagnostics.hpp"
#include "rolesanywhere/error.hpp"

namespace rolesanywhere {

namespace {
const EVP_MD* message_digest(Digest digest) {
  switch (digest) {
    case Digest::kSha384:
      return EVP_sha384();
    case Digest::kSha512:
      return EVP_sha512();
    case Digest::kSha256:
      break;
  }
  return EVP_sha256();
}
}  // namespace

std::vector<std::uint8_t> sign_with_key(EVP_PKEY* key, std::string_view data, Digest digest) {
  // EVP_DigestSign gives PKCS#1 v1.5 for RSA keys (the default padding) and DER-encoded ECDSA
  // signatures for EC keys, which are exactly the encodings SigV4-X509 wants.
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, message_digest(digest), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw Error(Error::Kind::kCrypto, "cannot sign with the private key: " + openssl_error_text());
  }
  std::vector<std::uint8_t> signature(length);
  if (EVP_DigestSign(context.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw Error(Error::Kind::kCrypto, "signing failed: " + openssl_error_text());
  }
  signature.resize(length);
  return signature;
}

}  // namespace rolesanywhere
