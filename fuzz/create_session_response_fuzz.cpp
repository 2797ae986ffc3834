// CreateSession answers (src/session/create_session_response.cpp): the credentials out of a 201
// body, and the ServiceError out of an error answer. Bodies come from the network.
//
// Input: the body. The error path reads it once without headers (the status from the input's
// length) and once with the body's first line as the x-amzn-ErrorType header.
//
// Invariants:
//   1. parsing either succeeds with non-empty credentials or throws Error(kService);
//   2. a failure's message quotes neither the secret access key nor the session token of the
//      body (unless the text is also another string of the document, or the message's own: it
//      is there too when the secret is replaced by other characters);
//   3. service_error_from_response keeps the status and never throws.
#include "fuzz_support.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <nlohmann/json.hpp>

using namespace rolesanywhere;

namespace {

// The string values under credentialSet[0].credentials that are secrets, and every other
// string (keys and values) of the document, decoded.
struct Strings {
  std::vector<std::string> secrets;
  std::vector<std::string> others;
};

void collect(const nlohmann::json& node, bool under_credentials, Strings& strings) {
  // Iterative: the document may be nested a million levels deep.
  std::vector<std::pair<const nlohmann::json*, bool>> pending{{&node, under_credentials}};
  while (!pending.empty()) {
    const auto [current, credentials] = pending.back();
    pending.pop_back();
    if (current->is_object()) {
      for (auto it = current->begin(); it != current->end(); ++it) {
        const bool secret =
            credentials && (it.key() == "secretAccessKey" || it.key() == "sessionToken");
        if (secret && it.value().is_string())
          strings.secrets.push_back(it.value().get<std::string>());
        else
          pending.push_back({&it.value(), it.key() == "credentials" || credentials});
        strings.others.push_back(it.key());
      }
    } else if (current->is_array()) {
      for (const auto& child : *current) pending.push_back({&child, credentials});
    } else if (current->is_string()) {
      strings.others.push_back(current->get<std::string>());
    }
  }
}

// The message of parsing `body`, or "" when it parses.
std::string parse_error(const std::string& body) {
  try {
    (void)parse_create_session_response(body);
  } catch (const Error& error) {
    return error.what();
  }
  return {};
}

void check_no_secret_in(const std::string& message, const std::string& body) {
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded()) return;
  Strings strings;
  collect(document, false, strings);
  for (const std::string& secret : strings.secrets) {
    // A short one occurs by chance; one written escaped cannot be replaced in the body.
    if (secret.size() < 8 || body.find(secret) == std::string::npos) continue;
    bool elsewhere = false;  // a secret equal to the expiration, say, is quoted as that
    for (const std::string& other : strings.others)
      elsewhere = elsewhere || other.find(secret) != std::string::npos;
    if (elsewhere) continue;
    fuzz::check(!fuzz::shows_secret(message, secret, parse_error(fuzz::replaced(body, secret))),
                "a CreateSession parse error does not quote a secret of the body", message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(fuzz::as_text(data, size));
  try {
    const Credentials credentials = parse_create_session_response(body);
    fuzz::check(!credentials.access_key_id.empty() && !credentials.secret_access_key.empty() &&
                    !credentials.session_token.empty(),
                "parsed credentials are complete");
  } catch (const Error& error) {
    fuzz::check(error.kind() == Error::Kind::kService, "a bad body is Error(kService)",
                error.what());
    check_no_secret_in(error.what(), body);
  }

  const long status = 400 + static_cast<long>(size % 200);
  HttpResponse response{status, {}, body};
  const ServiceError plain = service_error_from_response(response);
  fuzz::check(plain.http_status() == status, "the ServiceError keeps the HTTP status");
  std::string_view rest = body;
  response.headers.push_back({"x-amzn-ErrorType", std::string(fuzz::take_line(rest))});
  (void)service_error_from_response(response);
  return 0;
}
