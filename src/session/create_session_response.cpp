// Reading CreateSession's answers: the credentials out of a success, and a ServiceError out of
// anything else. Bodies are untrusted: whatever arrives gives a clear error, never a crash, and
// a success body (which holds secrets) is never quoted in a message.
#include "common/json_wipe.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"
#include "rolesanywhere/text.hpp"

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include <string>

namespace rolesanywhere {

namespace {

using nlohmann::json;

[[noreturn]] void malformed(const std::string& what) {
  throw Error(Error::Kind::kService, "CreateSession returned an unusable answer: " + what);
}

// Moves the string out of the parsed document, so the secret has one copy (in the
// SecretString) rather than a second one left in the json tree.
std::string take_string(json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) malformed("no " + where + "." + key);
  if (!it->is_string()) malformed(where + "." + key + " is not a string");
  std::string value = std::move(it->get_ref<std::string&>());
  if (value.empty()) malformed(where + "." + key + " is empty");
  return value;
}

std::string status_text(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "unexpected HTTP status " + std::to_string(status);
  }
}

// "AccessDeniedException:http://internal.amazon.com/coral/..." and
// "com.amazonaws.rolesanywhere#AccessDeniedException" both mean "AccessDeniedException".
std::string bare_error_type(std::string_view raw) {
  if (const auto colon = raw.find(':'); colon != std::string_view::npos) raw = raw.substr(0, colon);
  if (const auto hash = raw.rfind('#'); hash != std::string_view::npos) raw = raw.substr(hash + 1);
  return trim(raw);
}

std::string string_member(const json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const auto it = object.find(key);
    if (it != object.end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

}  // namespace

Credentials parse_create_session_response(const std::string& body) {
  json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  WipeJsonOnExit wipe{document};
  if (document.is_discarded()) malformed("the body is not JSON");
  if (!document.is_object()) malformed("the body is not a JSON object");

  const auto set = document.find("credentialSet");
  if (set == document.end() || !set->is_array()) malformed("no credentialSet");
  if (set->empty()) malformed("credentialSet is empty");
  json& first = (*set)[0];
  if (!first.is_object()) malformed("credentialSet[0] is not an object");
  const auto found = first.find("credentials");
  if (found == first.end() || !found->is_object()) malformed("no credentialSet[0].credentials");
  json& fields = *found;

  const std::string where = "credentialSet[0].credentials";
  Credentials credentials;
  credentials.access_key_id = take_string(fields, "accessKeyId", where);
  credentials.secret_access_key = SecretString(take_string(fields, "secretAccessKey", where));
  credentials.session_token = SecretString(take_string(fields, "sessionToken", where));
  const std::string expiration = take_string(fields, "expiration", where);
  try {
    credentials.expiration = parse_iso8601(expiration);
  } catch (const Error& e) {
    malformed(where + ".expiration: " + e.what());
  }
  return credentials;
}

ServiceError service_error_from_response(const HttpResponse& response) {
  std::string type;
  if (const auto header = response.header("x-amzn-ErrorType")) type = bare_error_type(*header);

  std::string message;
  const json document = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_discarded() && document.is_object()) {
    if (type.empty()) type = bare_error_type(string_member(document, {"__type", "code", "Code"}));
    message = trim(string_member(document, {"message", "Message"}));
  }
  if (message.empty()) message = status_text(response.status);
  return ServiceError(response.status, type, message);
}

}  // namespace rolesanywhere
