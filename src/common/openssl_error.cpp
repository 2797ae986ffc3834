#include "rolesanywhere/openssl_ptr.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

namespace rolesanywhere {

std::string openssl_error_text() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    // Only the reason is useful to a person; the library and function names are noise.
    const char* reason = ERR_reason_error_string(code);
    text += reason ? reason : buffer;
  }
  return text;
}

std::string ec_curve_name(EVP_PKEY* key) {
  char name[80] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof name, &length) != 1) {
    ERR_clear_error();
    return "an unknown curve";
  }
  return std::string(name, length);
}

}  // namespace rolesanywhere
