// The JSON pieces shared by the credential_process answer and serve's documents.
#include "rolesanywhere/credentials.hpp"

#include <cstdio>

namespace rolesanywhere {

namespace {

// format_iso8601 always writes "YYYY-MM-DDTHH:MM:SSZ".
constexpr std::size_t kIso8601Length = 20;
// Every field name and the punctuation around the four values.
constexpr std::size_t kFieldOverhead = 96;

}  // namespace

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

void append_credential_fields(std::string& out, const Credentials& credentials,
                              std::string_view token_field) {
  out += "\"AccessKeyId\":";
  append_json_string(out, credentials.access_key_id);
  out += ",\"SecretAccessKey\":";
  append_json_string(out, credentials.secret_access_key.reveal());
  out += ",\"";
  out += token_field;
  out += "\":";
  append_json_string(out, credentials.session_token.reveal());
  out += ",\"Expiration\":";
  append_json_string(out, format_iso8601(credentials.expiration));
}

std::size_t credential_json_capacity(const Credentials& credentials, std::size_t other_bytes) {
  return other_bytes + kFieldOverhead +
         6 * (credentials.access_key_id.size() + credentials.secret_access_key.size() +
              credentials.session_token.size() + kIso8601Length);
}

}  // namespace rolesanywhere
