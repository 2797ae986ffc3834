// Keys that do not sign through plain EVP calls on their own: a key that lives behind an OpenSSL
// provider loaded into a library context of its own (a TPM key through tpm2-openssl) must have
// its signature fetched there, and its failures read in that provider's terms. Such a key
// carries a KeySigner, attached to the EVP_PKEY itself (an ex_data slot), so whoever holds the key
// (an Identity, sign-string) signs through it, and what the key needs (its library context, the
// provider, the TPM connection) lives exactly as long as the key does.
#pragma once

#include "rolesanywhere/identity.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace rolesanywhere::identity_detail {

class KeySigner {
 public:
  virtual ~KeySigner() = default;
  // Signs as sign_with_key documents, for `key` (the EVP_PKEY this signer is attached to).
  virtual std::vector<std::uint8_t> sign(EVP_PKEY* key, std::string_view data, Digest digest) = 0;
};

// Attaches `signer` to `key`: released when the key's last reference is freed, after the key's
// own data (so the signer may own what that data depends on). Throws Error(kInternal) on failure.
void attach_signer(EVP_PKEY* key, std::shared_ptr<KeySigner> signer);
// The signer attached to `key`, or null for an ordinary key.
KeySigner* attached_signer(EVP_PKEY* key) noexcept;

// Digest and sign `data` in one EVP operation (RSA: PKCS#1 v1.5; EC: ECDSA, DER), with the
// signature fetched from `libctx` under `propquery` (null: the default context, any provider).
// On failure throws Error(kCrypto) "signing failed (<step>): <OpenSSL's errors>", unless
// `keep_errors` is set: then it returns an empty vector and leaves OpenSSL's error queue for the
// caller to read.
std::vector<std::uint8_t> evp_sign(EVP_PKEY* key, std::string_view data, Digest digest,
                                   OSSL_LIB_CTX* libctx = nullptr, const char* propquery = nullptr,
                                   bool keep_errors = false);

}  // namespace rolesanywhere::identity_detail
