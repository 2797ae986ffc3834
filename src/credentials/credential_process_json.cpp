// The credential_process answer, byte-compatible with the official helper (Go's json.Marshal of
// its CredentialProcessOutput: compact, keys in declaration order).
#include "rolesanywhere/credentials.hpp"

#include <cstdio>
#include <string>

namespace rolesanywhere {

namespace {

// JSON string escaping as Go's encoding/json does it, including its HTML-safe escapes of < > &,
// so output matches the official helper byte for byte. Appends in place: the secrets are
// written once into the result and never into temporaries that outlive this call.
void append_json_string(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20 || c == '<' || c == '>' || c == '&') {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string to_credential_process_json(const Credentials& credentials) {
  const std::string expiration = format_iso8601(credentials.expiration);

  std::string out;
  // Worst case every byte is escaped as \u00XX; reserving it up front means the buffer holding
  // the secrets is never reallocated, so no stale copy is left behind in freed memory.
  out.reserve(128 + 6 * (credentials.access_key_id.size() + credentials.secret_access_key.size() +
                         credentials.session_token.size() + expiration.size()));
  out += "{\"Version\":1,\"AccessKeyId\":";
  append_json_string(out, credentials.access_key_id);
  out += ",\"SecretAccessKey\":";
  append_json_string(out, credentials.secret_access_key.reveal());
  out += ",\"SessionToken\":";
  append_json_string(out, credentials.session_token.reveal());
  out += ",\"Expiration\":";
  append_json_string(out, expiration);
  out += '}';
  return out;
}

}  // namespace rolesanywhere
