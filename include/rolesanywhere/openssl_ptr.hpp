// RAII owners for the OpenSSL handles the project uses; no naked *_free in business logic.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

namespace rolesanywhere {

template <auto FreeFn>
struct OpensslDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) FreeFn(p);
  }
};

using X509Ptr = std::unique_ptr<X509, OpensslDeleter<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslDeleter<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslDeleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpensslDeleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslDeleter<BN_free>>;
// For a BIGNUM that holds a secret (a private exponent or scalar): wiped before it is freed.
using BignumSecretPtr = std::unique_ptr<BIGNUM, OpensslDeleter<BN_clear_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, OpensslDeleter<PKCS12_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpensslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpensslDeleter<X509_STORE_CTX_free>>;

struct OpensslStringDeleter {
  void operator()(char* p) const noexcept { OPENSSL_free(p); }
};
using OpensslString = std::unique_ptr<char, OpensslStringDeleter>;

// Bytes OpenSSL allocated for the caller (i2d_* output, ASN1_STRING_to_UTF8).
struct OpensslBytesDeleter {
  void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};
using OpensslBytes = std::unique_ptr<unsigned char, OpensslBytesDeleter>;

// The text of the most recent OpenSSL errors, for messages; clears the error queue.
std::string openssl_error_text();

// An EC key's curve as OpenSSL names it ("prime256v1"), or "an unknown curve".
std::string ec_curve_name(EVP_PKEY* key);

}  // namespace rolesanywhere
