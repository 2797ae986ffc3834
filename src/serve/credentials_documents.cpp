#include "credentials_documents.hpp"

namespace rolesanywhere::serve {

std::string imds_credentials_json(const Credentials& credentials, TimePoint last_updated) {
  // {"Code":"Success","LastUpdated":"YYYY-MM-DDTHH:MM:SSZ","Type":"AWS-HMAC",...}
  constexpr std::size_t kOtherBytes = 80;
  std::string out;
  out.reserve(credential_json_capacity(credentials, kOtherBytes));
  out += "{\"Code\":\"Success\",\"LastUpdated\":";
  append_json_string(out, format_iso8601(last_updated));
  out += ",\"Type\":\"AWS-HMAC\",";
  append_credential_fields(out, credentials, "Token");
  out += '}';
  return out;
}

std::string container_credentials_json(const Credentials& credentials) {
  std::string out;
  out.reserve(credential_json_capacity(credentials, 2));
  out += '{';
  append_credential_fields(out, credentials, "Token");
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
