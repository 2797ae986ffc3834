// Private keys from files, in every encoding people actually have: PKCS#1 RSA and SEC1 EC
// ("traditional"), PKCS#8 plain or encrypted, each as PEM or DER, and PKCS#12.
// The password callback hands over the --pkcs8-password, or the answer of the password provider
// (asked only now, when OpenSSL needs a password), or refuses; it records that it was asked,
// which is how an encrypted key is told apart from a file in the wrong format.
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>
#include <cstring>
#include <exception>

namespace rolesanywhere {
namespace identity_detail {
namespace {

using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, OpensslDeleter<OSSL_DECODER_CTX_free>>;

struct PasswordRequest {
  KeyPassword* password;
  const std::string* label;
  bool asked = false;
  // What the provider threw: kept here, since it must not unwind through OpenSSL's C code, and
  // thrown again once OpenSSL has returned.
  std::exception_ptr failure;
};

// pem_password_cb: copies the password, which KeyPassword asks for at most once (OpenSSL's
// decoders may call this more than once for one file).
int supply_password(char* buffer, int size, int /*rwflag*/, void* user_data) noexcept {
  auto* request = static_cast<PasswordRequest*>(user_data);
  request->asked = true;
  if (request->failure) return -1;
  const std::optional<SecretString>* password = nullptr;
  try {
    password = &request->password->get(*request->label);
  } catch (...) {
    request->failure = std::current_exception();
    return -1;
  }
  if (!password->has_value()) return -1;
  const std::string& text = (*password)->reveal();
  if (size < 0 || text.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, text.data(), text.size());
  return static_cast<int>(text.size());
}

// The first private key block of a PEM file; certificates and parameters around it are skipped,
// so a file holding both the key and its certificate works too.
EvpPkeyPtr read_pem_key(std::string_view bytes, PasswordRequest& request) {
  if (bytes.size() > INT_MAX) return nullptr;
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) return nullptr;
  return EvpPkeyPtr(
      PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, supply_password, &request, nullptr, nullptr));
}

// DER in any structure the default provider decodes: PKCS#8 (encrypted or not), PKCS#1, SEC1.
EvpPkeyPtr read_der_key(std::string_view bytes, PasswordRequest& request) {
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr decoder(OSSL_DECODER_CTX_new_for_pkey(&raw, "DER", nullptr, nullptr,
                                                      EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!decoder) return nullptr;
  if (OSSL_DECODER_CTX_set_pem_password_cb(decoder.get(), supply_password, &request) != 1) {
    return nullptr;
  }
  const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t remaining = bytes.size();
  const bool decoded = OSSL_DECODER_from_data(decoder.get(), &cursor, &remaining) == 1;
  EvpPkeyPtr key(raw);  // owned either way, in case a failed decode left something behind
  return decoded ? std::move(key) : nullptr;
}

// A public key decodes under the same selection; only a key with its secret half can sign.
bool has_private_half(EVP_PKEY* key) {
  BIGNUM* number = nullptr;
  for (const char* name : {OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_PRIV_KEY}) {
    if (EVP_PKEY_get_bn_param(key, name, &number) == 1) {
      BignumSecretPtr owned(number);  // a copy of the private exponent or scalar
      return true;
    }
  }
  std::size_t length = 0;  // Ed25519 and friends keep the private key as an octet string
  const bool has_octets =
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0, &length) == 1 &&
      length > 0;
  ERR_clear_error();
  return has_octets;
}

}  // namespace

PrivateKeyFile parse_private_key(std::string_view bytes, KeyPassword& password,
                                 const std::string& label) {
  if (looks_like_pkcs12(bytes)) {
    PrivateKeyFile file = parse_pkcs12(bytes, password, label);
    if (!file.key)
      throw Error(Error::Kind::kInput, label + " is a PKCS#12 file without a private key");
    return file;
  }

  PasswordRequest request{&password, &label, false, nullptr};
  ERR_clear_error();
  EvpPkeyPtr key =
      looks_like_pem(bytes) ? read_pem_key(bytes, request) : read_der_key(bytes, request);
  ERR_clear_error();  // the reasons OpenSSL gives here ("unsupported", "bad decrypt") mislead
  if (request.failure) std::rethrow_exception(request.failure);
  if (!key) {
    if (request.asked && !password.known()) {
      throw password.missing(label);
    }
    if (request.asked) throw Error(Error::Kind::kInput, "wrong password for " + label);
    throw Error(
        Error::Kind::kInput,
        label + " is not a private key in a supported format (PKCS#1, SEC1, PKCS#8, PKCS#12)");
  }
  if (!has_private_half(key.get())) {
    throw Error(Error::Kind::kInput,
                label +
                    " is not a private key in a supported format (PKCS#1, SEC1, PKCS#8, "
                    "PKCS#12): it holds only a public key");
  }
  return PrivateKeyFile{std::move(key), std::nullopt};
}

}  // namespace identity_detail

PrivateKeyFile load_private_key_file(const std::string& path,
                                     const std::optional<SecretString>& password,
                                     const PasswordProvider& ask_password,
                                     const IdentityLabels& labels) {
  using namespace identity_detail;
  const std::string label = "private key file " + path;
  KeyPassword key_password(password, ask_password, labels.key_password);
  return parse_private_key(read_identity_input(path, label).reveal(), key_password, label);
}

}  // namespace rolesanywhere
