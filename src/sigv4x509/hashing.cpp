// Hex and SHA-256, the two encodings every SigV4 step uses.
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/openssl_ptr.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <openssl/evp.h>

namespace rolesanywhere::sigv4x509 {

std::string hex_encode(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kHexDigits[] = "0123456789abcdef";  // SigV4 wants lower case
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto byte : bytes) {
    out.push_back(kHexDigits[byte >> 4]);
    out.push_back(kHexDigits[byte & 0x0F]);
  }
  return out;
}

std::string hex_sha256(std::string_view data) {
  std::vector<std::uint8_t> digest(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    throw Error(Error::Kind::kCrypto, "SHA-256 failed: " + openssl_error_text());
  digest.resize(length);
  return hex_encode(digest);
}

}  // namespace rolesanywhere::sigv4x509
