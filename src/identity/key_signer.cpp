#include "key_signer.hpp"

#include "rolesanywhere/error.hpp"

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include <mutex>

namespace rolesanywhere::identity_detail {
namespace {

using Attached = std::shared_ptr<KeySigner>;

// EVP_PKEY_free releases the key's provider data first, then its ex_data: by the time this
// runs, the key no longer needs what the signer keeps alive.
void release_signer(void* /*parent*/, void* pointer, CRYPTO_EX_DATA* /*data*/, int /*index*/,
                    long /*argl*/, void* /*argp*/) {
  delete static_cast<Attached*>(pointer);
}

int signer_index() {
  static const int index = EVP_PKEY_get_ex_new_index(0, nullptr, nullptr, nullptr, release_signer);
  return index;
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

// Ordinary keys (files, engine-backed PKCS#11 keys) go through EVP_DigestSignInit with a
// legacy EVP_MD, which engine keys need; a provider in a context of its own is asked by name.
bool init_digest_sign(EVP_MD_CTX* context, EVP_PKEY_CTX** key_context, EVP_PKEY* key, Digest digest,
                      OSSL_LIB_CTX* libctx, const char* propquery) {
  const EVP_MD* md = message_digest(digest);
  if (!libctx && !propquery) return EVP_DigestSignInit(context, key_context, md, nullptr, key) == 1;
  return EVP_DigestSignInit_ex(context, key_context, EVP_MD_get0_name(md), libctx, propquery, key,
                               nullptr) == 1;
}

}  // namespace

void attach_signer(EVP_PKEY* key, std::shared_ptr<KeySigner> signer) {
  const int index = signer_index();
  auto owned = std::make_unique<Attached>(std::move(signer));
  if (index < 0 || EVP_PKEY_set_ex_data(key, index, owned.get()) != 1)
    throw Error(Error::Kind::kInternal, "cannot attach a signer to the key");
  owned.release();  // now released with the key (release_signer)
}

KeySigner* attached_signer(EVP_PKEY* key) noexcept {
  const int index = signer_index();
  if (index < 0) return nullptr;
  auto* attached = static_cast<Attached*>(EVP_PKEY_get_ex_data(key, index));
  return attached ? attached->get() : nullptr;
}

std::vector<std::uint8_t> evp_sign(EVP_PKEY* key, std::string_view data, Digest digest,
                                   OSSL_LIB_CTX* libctx, const char* propquery, bool keep_errors) {
  const auto failed = [keep_errors](const char* step) -> std::vector<std::uint8_t> {
    if (keep_errors) return {};
    throw Error(Error::Kind::kCrypto,
                std::string("signing failed (") + step + "): " + openssl_error_text());
  };
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  if (!context) return failed("allocation");
  EVP_PKEY_CTX* key_context = nullptr;  // owned by `context`
  if (!init_digest_sign(context.get(), &key_context, key, digest, libctx, propquery))
    return failed("init");
  // Say PKCS#1 v1.5 explicitly: a provider's default could otherwise be PSS.
  if (EVP_PKEY_is_a(key, "RSA") &&
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1)
    return failed("padding");
  // Update + Final rather than one-shot EVP_DigestSign: engine-backed keys support only these.
  if (EVP_DigestSignUpdate(context.get(), data.data(), data.size()) != 1) return failed("digest");
  std::size_t length = 0;
  if (EVP_DigestSignFinal(context.get(), nullptr, &length) != 1) return failed("size");
  std::vector<std::uint8_t> signature(length);
  if (EVP_DigestSignFinal(context.get(), signature.data(), &length) != 1) return failed("sign");
  signature.resize(length);  // ECDSA DER signatures are often shorter than the maximum
  return signature;
}

}  // namespace rolesanywhere::identity_detail
