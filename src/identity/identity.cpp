// The Identity: certificate, chain and key, with the derived strings computed once, and the one
// operation the protocol needs from the key: sign the string to sign.
#include "rolesanywhere/identity.hpp"
#include "identity_detail.hpp"
#include "key_signer.hpp"
#include "rolesanywhere/error.hpp"

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
  // A key behind a provider of its own (a TPM key) signs through what it carries.
  if (identity_detail::KeySigner* signer = identity_detail::attached_signer(key))
    return signer->sign(key, data, digest);
  return identity_detail::evp_sign(key, data, digest);
}

}  // namespace rolesanywhere
