#include "cache_entry.hpp"

#include "common/json_wipe.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>

namespace rolesanywhere::cache_detail {
namespace {

using nlohmann::json;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpensslDeleter<EVP_CIPHER_CTX_free>>;

constexpr std::string_view kMagic = "RAHC";
constexpr unsigned char kVersion = 1;
constexpr unsigned char kPlain = 0;
constexpr unsigned char kAes256Gcm = 1;
constexpr std::size_t kHeaderBytes = 8;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

std::string header(unsigned char scheme) {
  std::string text(kMagic);
  text += static_cast<char>(kVersion);
  text += static_cast<char>(scheme);
  text += '\0';
  text += '\0';
  return text;
}

std::string document(const Credentials& credentials, std::string_view entry_id) {
  constexpr std::string_view kStart = "{\"EntryId\":";
  std::string out;
  out.reserve(credential_json_capacity(credentials, kStart.size() + entry_id.size() * 6 + 8));
  out += kStart;
  append_json_string(out, entry_id);
  out += ',';
  append_credential_fields(out, credentials, "SessionToken");
  out += '}';
  return out;
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

[[noreturn]] void crypto_failure(const char* step) {
  throw Error(Error::Kind::kInternal,
              std::string("cache entry encryption failed (") + step + "): " + openssl_error_text());
}

void check_key(const SecretString& key) {
  if (key.size() != 32) throw Error(Error::Kind::kInternal, "a cache entry key is 32 bytes");
}

std::string encrypt(std::string_view plaintext, std::string_view entry_id,
                    const SecretString& key) {
  check_key(key);
  std::string out = header(kAes256Gcm);
  std::array<unsigned char, kNonceBytes> nonce{};
  if (RAND_bytes(nonce.data(), nonce.size()) != 1) crypto_failure("nonce");
  const std::string aad = out + std::string(entry_id);
  out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());

  const EvpCipherCtxPtr context(EVP_CIPHER_CTX_new());
  if (!context || EVP_EncryptInit_ex2(context.get(), EVP_aes_256_gcm(), bytes_of(key.reveal()),
                                      nonce.data(), nullptr) != 1)
    crypto_failure("init");
  int length = 0;
  if (EVP_EncryptUpdate(context.get(), nullptr, &length, bytes_of(aad),
                        static_cast<int>(aad.size())) != 1)
    crypto_failure("aad");
  const std::size_t start = out.size();
  out.resize(start + plaintext.size() + kTagBytes);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + start);
  if (EVP_EncryptUpdate(context.get(), cipher, &length, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) != 1)
    crypto_failure("encrypt");
  int final_length = 0;
  if (EVP_EncryptFinal_ex(context.get(), cipher + length, &final_length) != 1)
    crypto_failure("final");
  const std::size_t cipher_length = static_cast<std::size_t>(length + final_length);
  if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, cipher + cipher_length) !=
      1)
    crypto_failure("tag");
  out.resize(start + cipher_length + kTagBytes);
  return out;
}

// The plaintext (the caller wipes it), or nullopt when authentication fails.
std::optional<std::string> decrypt(std::string_view body, std::string_view header_bytes,
                                   std::string_view entry_id, const SecretString& key) {
  check_key(key);
  const std::string_view nonce = body.substr(0, kNonceBytes);
  const std::string_view cipher = body.substr(kNonceBytes, body.size() - kNonceBytes - kTagBytes);
  std::string tag(body.substr(body.size() - kTagBytes));
  const std::string aad = std::string(header_bytes) + std::string(entry_id);

  const EvpCipherCtxPtr context(EVP_CIPHER_CTX_new());
  if (!context || EVP_DecryptInit_ex2(context.get(), EVP_aes_256_gcm(), bytes_of(key.reveal()),
                                      bytes_of(nonce), nullptr) != 1)
    crypto_failure("init");
  int length = 0;
  if (EVP_DecryptUpdate(context.get(), nullptr, &length, bytes_of(aad),
                        static_cast<int>(aad.size())) != 1)
    crypto_failure("aad");
  std::string plaintext(cipher.size() + kTagBytes, '\0');
  WipeOnExit wipe_on_failure(plaintext);
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  if (EVP_DecryptUpdate(context.get(), out, &length, bytes_of(cipher),
                        static_cast<int>(cipher.size())) != 1)
    crypto_failure("decrypt");
  if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1)
    crypto_failure("tag");
  int final_length = 0;
  if (EVP_DecryptFinal_ex(context.get(), out + length, &final_length) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  plaintext.resize(static_cast<std::size_t>(length + final_length));
  std::string result;
  result.swap(plaintext);  // `plaintext` is now empty; the wipe guard has nothing left to wipe
  return result;
}

// The string member `name`, moved out of the tree (one copy of a secret, not two); empty when it
// is missing, not a string or empty.
std::string take_string(json& document, const char* name) {
  const auto it = document.find(name);
  if (it == document.end() || !it->is_string()) return {};
  return std::move(it->get_ref<std::string&>());
}

DecodedEntry parse_document(std::string_view text, std::string_view entry_id) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  const WipeJsonOnExit wipe{parsed};
  if (parsed.is_discarded() || !parsed.is_object()) return {std::nullopt, "not a JSON document"};
  if (take_string(parsed, "EntryId") != entry_id)
    return {std::nullopt, "it names another entry (a copied file)"};
  std::string access_key_id = take_string(parsed, "AccessKeyId");
  std::string secret = take_string(parsed, "SecretAccessKey");
  std::string token = take_string(parsed, "SessionToken");
  const std::string expiration = take_string(parsed, "Expiration");
  const WipeOnExit wipe_secret(secret);
  const WipeOnExit wipe_token(token);
  if (access_key_id.empty() || secret.empty() || token.empty() || expiration.empty())
    return {std::nullopt, "credentials are missing from it"};
  Credentials credentials;
  try {
    credentials.expiration = parse_iso8601(expiration);
  } catch (const Error&) {
    return {std::nullopt, "its expiration is not a time"};
  }
  credentials.access_key_id = std::move(access_key_id);
  credentials.secret_access_key = SecretString(std::move(secret));
  credentials.session_token = SecretString(std::move(token));
  return {std::move(credentials), {}};
}

}  // namespace

std::string encode_entry(const Credentials& credentials, std::string_view entry_id,
                         const std::optional<SecretString>& key) {
  std::string plaintext = document(credentials, entry_id);
  const WipeOnExit wipe(plaintext);
  if (key) return encrypt(plaintext, entry_id, *key);
  return header(kPlain) + plaintext;
}

DecodedEntry decode_entry(std::string_view bytes, std::string_view entry_id,
                          const std::optional<SecretString>& key) {
  if (bytes.empty()) return {std::nullopt, "it is empty"};
  if (bytes.size() < kHeaderBytes) return {std::nullopt, "it is truncated"};
  if (bytes.substr(0, kMagic.size()) != kMagic) return {std::nullopt, "not a cache entry"};
  if (static_cast<unsigned char>(bytes[4]) != kVersion)
    return {std::nullopt, "written by another version (format " +
                              std::to_string(static_cast<unsigned char>(bytes[4])) + ")"};
  const auto scheme = static_cast<unsigned char>(bytes[5]);
  if (scheme != kPlain && scheme != kAes256Gcm) return {std::nullopt, "unknown encryption"};
  if (key && scheme == kPlain) return {std::nullopt, "it is unencrypted, and this key encrypts"};
  if (!key && scheme != kPlain)
    return {std::nullopt, "it is encrypted, and this key cannot derive an entry key"};
  const std::string_view header_bytes = bytes.substr(0, kHeaderBytes);
  const std::string_view body = bytes.substr(kHeaderBytes);
  if (scheme == kPlain) return parse_document(body, entry_id);
  if (body.size() < kNonceBytes + kTagBytes) return {std::nullopt, "it is truncated"};
  std::optional<std::string> plaintext = decrypt(body, header_bytes, entry_id, *key);
  if (!plaintext)
    return {std::nullopt,
            "it fails authentication (another key's entry, a copied file, or damaged)"};
  const WipeOnExit wipe(*plaintext);
  return parse_document(*plaintext, entry_id);
}

}  // namespace rolesanywhere::cache_detail
