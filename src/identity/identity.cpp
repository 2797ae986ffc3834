// The Identity: certificate, chain and key, with the derived strings computed once, and the one
// operation the protocol needs from the key: sign the string to sign.
#include "rolesanywhere/identity.hpp"
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"

#include <openssl/rsa.h>

namespace rolesanywhere {
namespace {

KeyType key_type_of(EVP_PKEY* key) {
  // EVP_PKEY_is_a works for provider keys (PKCS#11, TPM) too, where the legacy id is unknown.
  if (EVP_PKEY_is_a(key, "RSA")) return KeyType::kRsa;
  if (EVP_PKEY_is_a(key, "EC")) return KeyType::kEc;
  throw Error(Error::Kind::kCrypto,
              "unsupported private key: " + identity_detail::key_support_problem(key).value_or(
                                                "only RSA and EC keys can sign"));
}

std::string join_base64(const std::vector<X509Ptr>& chain) {
  std::string joined;
  for (const X509Ptr& certificate : chain) {
    if (!joined.empty()) joined += ',';
    joined += der_base64(certificate.get());
  }
  return joined;
}

const EVP_MD* message_digest(Digest digest) {
  switch (digest) {
    case Digest::kSha256:
      return EVP_sha256();
    case Digest::kSha384:
      return EVP_sha384();
    case Digest::kSha512:
      return EVP_sha512();
  }
  throw Error(Error::Kind::kInternal, "unknown digest");
}

[[noreturn]] void throw_signing_error(const char* step) {
  throw Error(Error::Kind::kCrypto,
              std::string("signing failed (") + step + "): " + openssl_error_text());
}

}  // namespace

Identity::Identity(X509Ptr certificate, std::vector<X509Ptr> chain, EvpPkeyPtr key,
                   std::shared_ptr<void> key_owner)
    : certificate_(std::move(certificate)),
      chain_(std::move(chain)),
      key_owner_(std::move(key_owner)),
      key_(std::move(key)) {
  if (!certificate_) throw Error(Error::Kind::kInternal, "identity without a certificate");
  if (!key_) throw Error(Error::Kind::kInternal, "identity without a private key");
  key_type_ = key_type_of(key_.get());
  chain_ = identity_detail::without_leaf(std::move(chain_), certificate_.get());
  serial_decimal_ = rolesanywhere::serial_decimal(certificate_.get());
  certificate_b64_ = der_base64(certificate_.get());
  chain_b64_ = join_base64(chain_);
}

sigv4x509::Algorithm Identity::signing_algorithm() const noexcept {
  return key_type_ == KeyType::kRsa ? sigv4x509::Algorithm::kRsaSha256
                                    : sigv4x509::Algorithm::kEcdsaSha256;
}

std::vector<std::uint8_t> Identity::sign(std::string_view data, Digest digest) const {
  return sign_with_key(key_.get(), data, digest);
}

std::vector<std::uint8_t> sign_with_key(EVP_PKEY* key, std::string_view data, Digest digest) {
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  if (!context) throw_signing_error("allocation");
  EVP_PKEY_CTX* key_context = nullptr;  // owned by `context`
  if (EVP_DigestSignInit(context.get(), &key_context, message_digest(digest), nullptr, key) != 1) {
    throw_signing_error("init");
  }
  // Say PKCS#1 v1.5 explicitly: a provider's default could otherwise be PSS.
  if (EVP_PKEY_is_a(key, "RSA") &&
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    throw_signing_error("padding");
  }
  // Update + Final rather than one-shot EVP_DigestSign: engine-backed keys support only these.
  if (EVP_DigestSignUpdate(context.get(), data.data(), data.size()) != 1) {
    throw_signing_error("digest");
  }
  std::size_t length = 0;
  if (EVP_DigestSignFinal(context.get(), nullptr, &length) != 1) throw_signing_error("size");
  std::vector<std::uint8_t> signature(length);
  if (EVP_DigestSignFinal(context.get(), signature.data(), &length) != 1) {
    throw_signing_error("sign");
  }
  signature.resize(length);  // ECDSA DER signatures are often shorter than the maximum
  return signature;
}

}  // namespace rolesanywhere
