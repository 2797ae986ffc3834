#include "token_store.hpp"

#include "rolesanywhere/error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

namespace rolesanywhere::serve {

namespace {

constexpr std::size_t kTokenBytes = 48;  // 384 bits; 64 characters once encoded

// base64url without padding: the token travels in an HTTP header, so no '+', '/' or '='.
std::string base64url(const unsigned char* bytes, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned value = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(value >> 18) & 63];
    out += kAlphabet[(value >> 12) & 63];
    out += kAlphabet[(value >> 6) & 63];
    out += kAlphabet[value & 63];
  }
  if (i < size) {
    const unsigned value = (bytes[i] << 16) | (i + 1 < size ? bytes[i + 1] << 8 : 0);
    out += kAlphabet[(value >> 18) & 63];
    out += kAlphabet[(value >> 12) & 63];
    if (i + 1 < size) out += kAlphabet[(value >> 6) & 63];
  }
  return out;
}

}  // namespace

TokenStore::TokenStore(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

TokenStore::Digest TokenStore::digest_of(std::string_view token) {
  Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    throw Error(Error::Kind::kInternal, "SHA-256 of a metadata token failed");
  return digest;
}

std::string TokenStore::issue(std::chrono::seconds ttl, TimePoint now) {
  unsigned char random[kTokenBytes];
  if (RAND_bytes(random, sizeof random) != 1)
    throw Error(Error::Kind::kInternal, "the random generator failed to make a metadata token");
  std::string token = base64url(random, sizeof random);
  OPENSSL_cleanse(random, sizeof random);
  const Digest digest = digest_of(token);

  std::lock_guard lock(mutex_);
  std::erase_if(expirations_, [now](const auto& entry) { return entry.second <= now; });
  if (expirations_.size() >= capacity_) evict_earliest_expiring();
  expirations_[digest] = now + ttl;
  return token;
}

void TokenStore::evict_earliest_expiring() {
  const auto earliest =
      std::min_element(expirations_.begin(), expirations_.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  if (earliest != expirations_.end()) expirations_.erase(earliest);
}

std::optional<std::chrono::seconds> TokenStore::remaining(std::string_view token,
                                                          TimePoint now) const {
  if (token.empty()) return std::nullopt;
  const Digest digest = digest_of(token);
  std::lock_guard lock(mutex_);
  const auto found = expirations_.find(digest);
  if (found == expirations_.end() || found->second <= now) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(found->second - now);
}

std::size_t TokenStore::purge_expired(TimePoint now) {
  std::lock_guard lock(mutex_);
  return std::erase_if(expirations_, [now](const auto& entry) { return entry.second <= now; });
}

std::size_t TokenStore::size() const {
  std::lock_guard lock(mutex_);
  return expirations_.size();
}

}  // namespace rolesanywhere::serve
