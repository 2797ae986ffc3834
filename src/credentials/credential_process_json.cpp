// The credential_process answer, byte-compatible with the official helper (Go's json.Marshal of
// its CredentialProcessOutput: compact, keys in declaration order).
#include "rolesanywhere/credentials.hpp"

#include <string>

namespace rolesanywhere {

std::string to_credential_process_json(const Credentials& credentials) {
  constexpr std::string_view kStart = "{\"Version\":1,";
  std::string out;
  out.reserve(credential_json_capacity(credentials, kStart.size() + 1));
  out += kStart;
  append_credential_fields(out, credentials, "SessionToken");
  out += '}';
  return out;
}

}  // namespace rolesanywhere
