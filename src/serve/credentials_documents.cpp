#include "credentials_documents.hpp"

#include <cstdio>

namespace rolesanywhere::serve {

void append_json_string(std::string& out, std::string_view value) {
  out += '"';
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

namespace {

// Room for every byte escaped as \u00XX, so the buffer holding the secrets never reallocates
// and leaves a stale copy behind in freed memory.
std::size_t worst_case_size(const Credentials& credentials) {
  return 256 + 6 * (credentials.access_key_id.size() + credentials.secret_access_key.size() +
                    credentials.session_token.size());
}

void append_key_fields(std::string& out, const Credentials& credentials) {
  out += "\"AccessKeyId\":";
  append_json_string(out, credentials.access_key_id);
  out += ",\"SecretAccessKey\":";
  append_json_string(out, credentials.secret_access_key.reveal());
  out += ",\"Token\":";
  append_json_string(out, credentials.session_token.reveal());
  out += ",\"Expiration\":";
  append_json_string(out, format_iso8601(credentials.expiration));
}

}  // namespace

std::string imds_credentials_json(const Credentials& credentials, TimePoint last_updated) {
  std::string out;
  out.reserve(worst_case_size(credentials));
  out += "{\"Code\":\"Success\",\"LastUpdated\":";
  append_json_string(out, format_iso8601(last_updated));
  out += ",\"Type\":\"AWS-HMAC\",";
  append_key_fields(out, credentials);
  out += '}';
  return out;
}

std::string container_credentials_json(const Credentials& credentials) {
  std::string out;
  out.reserve(worst_case_size(credentials));
  out += '{';
  append_key_fields(out, credentials);
  out += '}';
  return out;
}

std::string error_json(std::string_view code, std::string_view message) {
  std::string out = "{\"Code\":";
  append_json_string(out, code);
  out += ",\"Message\":";
  append_json_string(out, message);
  out += '}';
  return out;
}

}  // namespace rolesanywhere::serve
