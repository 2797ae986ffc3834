// What names an entry (its id, from everything that shapes the answer), the key it is encrypted
// with (derived from the private key), and where the cache lives by default.
#include "identity/key_signer.hpp"
#include "rolesanywhere/credential_cache.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <cstdint>
#include <string>

namespace rolesanywhere {
namespace {

constexpr std::string_view kIdVersion = "rolesanywhere-helper cache key v1";
constexpr std::string_view kKeySalt = "rolesanywhere-helper cache entry key v1";
// What a token's RSA key signs to derive an entry's key: the entry id follows.
constexpr std::string_view kSignedForKey = "rolesanywhere-helper cache entry key v1 for entry ";

using EvpKdfPtr = std::unique_ptr<EVP_KDF, OpensslDeleter<EVP_KDF_free>>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, OpensslDeleter<EVP_KDF_CTX_free>>;

void append_field(std::string& out, std::string_view field) {
  const std::uint64_t length = field.size();
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((length >> shift) & 0xff);
  out += field;
}

std::string hex(const unsigned char* bytes, std::size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(length * 2);
  for (std::size_t i = 0; i < length; ++i) {
    text += kDigits[bytes[i] >> 4];
    text += kDigits[bytes[i] & 0x0f];
  }
  return text;
}

// HKDF-SHA256(salt = kKeySalt + which, ikm, info = entry id) → 32 bytes.
SecretString hkdf(std::string_view which, const unsigned char* ikm, std::size_t ikm_length,
                  std::string_view entry_id) {
  const EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  const EvpKdfCtxPtr context(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!context) throw Error(Error::Kind::kInternal, "HKDF: " + openssl_error_text());
  std::string salt(kKeySalt);
  salt += which;
  std::string info(entry_id);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(ikm),
                                        ikm_length),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string key(32, '\0');
  if (EVP_KDF_derive(context.get(), reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     params) != 1)
    throw Error(Error::Kind::kInternal, "HKDF: " + openssl_error_text());
  return SecretString(std::move(key));
}

}  // namespace

CacheKey cache_key_for(const Identity& identity) {
  CacheKey key;
  unsigned char* der = nullptr;
  const int length = i2d_X509(identity.certificate(), &der);
  if (length <= 0) throw Error(Error::Kind::kCrypto, "cannot encode the certificate");
  const OpensslBytes owned(der);
  key.certificate_der.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  key.chain_sent = identity.chain_base64();
  return key;
}

std::string cache_entry_id(const CacheKey& key) {
  std::string encoding;
  append_field(encoding, kIdVersion);
  append_field(encoding, key.certificate_der);
  append_field(encoding, key.chain_sent);
  append_field(encoding, key.trust_anchor_arn);
  append_field(encoding, key.profile_arn);
  append_field(encoding, key.role_arn);
  append_field(encoding, key.role_session_name);
  append_field(encoding, std::to_string(key.duration_seconds));
  append_field(encoding, std::to_string(key.instance_properties.size()));
  for (const auto& property : key.instance_properties) {
    append_field(encoding, property.first);
    append_field(encoding, property.second);
  }
  append_field(encoding, key.region);
  append_field(encoding, key.endpoint_url);
  append_field(encoding, key.transport);
  std::array<unsigned char, 32> digest{};
  unsigned int digest_length = 0;
  if (EVP_Digest(encoding.data(), encoding.size(), digest.data(), &digest_length, EVP_sha256(),
                 nullptr) != 1)
    throw Error(Error::Kind::kInternal, "SHA-256: " + openssl_error_text());
  return hex(digest.data(), digest_length);
}

namespace {

// Whether the key holds its private component here (a key file) rather than on a token. Asked
// explicitly: an encoding of a key without it could come out of public material alone.
bool holds_private_component(EVP_PKEY* key) {
  BIGNUM* secret = nullptr;
  const char* name = EVP_PKEY_is_a(key, "RSA") ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
  const bool held =
      EVP_PKEY_get_bn_param(key, name, &secret) == 1 && secret != nullptr && !BN_is_zero(secret);
  BN_clear_free(secret);
  ERR_clear_error();  // a token key has no such parameter: expected, not an error to report
  return held;
}

// A key file's private half is derived from; a token's never leaves the token. Nor does a TPM
// key's: it signs through a signer of its own, and what it encodes (tpm2-openssl writes the
// TSS2 key file) is not its private half.
bool derives_from_private_key(EVP_PKEY* key) {
  return !identity_detail::attached_signer(key) && holds_private_component(key);
}

}  // namespace

std::optional<SecretString> cache_entry_key(const Identity& identity, std::string_view entry_id) {
  unsigned char* encoded = nullptr;
  const int length =
      derives_from_private_key(identity.key()) ? i2d_PrivateKey(identity.key(), &encoded) : 0;
  if (length > 0 && encoded) {
    struct ClearFree {
      unsigned char* bytes;
      int length;
      ~ClearFree() { OPENSSL_clear_free(bytes, static_cast<std::size_t>(length)); }
    } wipe{encoded, length};
    return hkdf(" private-key", encoded, static_cast<std::size_t>(length), entry_id);
  }
  ERR_clear_error();  // the failed encoding is expected for a token key, not an error to report
  if (identity.key_type() != KeyType::kRsa) return std::nullopt;
  std::string to_sign(kSignedForKey);
  to_sign += entry_id;
  std::vector<std::uint8_t> signature = identity.sign(to_sign, Digest::kSha256);
  const WipeOnExit wipe_signature(
      std::span<char>(reinterpret_cast<char*>(signature.data()), signature.size()));
  return hkdf(" rsa-signature", signature.data(), signature.size(), entry_id);
}

std::optional<std::filesystem::path> default_cache_directory(const char* xdg_cache_home,
                                                             const char* home) {
  if (xdg_cache_home && xdg_cache_home[0] == '/')
    return std::filesystem::path(xdg_cache_home) / "rolesanywhere-helper";
  if (home && home[0] != '\0')
    return std::filesystem::path(home) / ".cache" / "rolesanywhere-helper";
  return std::nullopt;
}

}  // namespace rolesanywhere
