// The unsigned CreateSession request, shaped as the official helper's SDK client shapes it:
// the three ARNs in the query (profileArn, roleArn, trustAnchorArn, the order its serializer
// writes them, which is also the sorted order) and only the session settings in the body.
#include "rolesanywhere/session.hpp"
#include "rolesanywhere/sigv4x509.hpp"
#include "rolesanywhere/version.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace rolesanywhere {

namespace {

// RFC 3986: everything but unreserved characters is percent-encoded, so ':' and '/' in an ARN
// become %3A and %2F, as Go's url.QueryEscape writes them.
std::string query_value(std::string_view value) {
  return sigv4x509::uri_encode(value, /*encode_slash=*/true);
}

constexpr std::string_view operating_system() {
#if defined(__linux__)
  return "linux";
#elif defined(__APPLE__)
  return "darwin";
#elif defined(_WIN32)
  return "windows";
#elif defined(__FreeBSD__)
  return "freebsd";
#else
  return "unknown";
#endif
}

}  // namespace

HttpRequest build_create_session_request(const CreateSessionParams& params,
                                         const Endpoint& endpoint) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/sessions";
  request.query = "profileArn=" + query_value(params.profile_arn) +
                  "&roleArn=" + query_value(params.role_arn) +
                  "&trustAnchorArn=" + query_value(params.trust_anchor_arn);

  // nlohmann::ordered_json keeps durationSeconds first, as the SDK serializer does.
  nlohmann::ordered_json body;
  body["durationSeconds"] = params.duration_seconds;
  if (params.role_session_name) body["roleSessionName"] = *params.role_session_name;
  if (!params.instance_properties.empty()) {
    nlohmann::ordered_json properties = nlohmann::ordered_json::object();
    for (const auto& [key, value] : params.instance_properties) properties[key] = value;
    body["instanceProperties"] = std::move(properties);
  }
  request.body = body.dump();

  request.headers = {
      {"Host", endpoint.host},
      {"Content-Type", "application/json"},
      {"User-Agent",
       std::string(kToolName) + "/" + kVersion + " (" + std::string(operating_system()) + ")"},
  };
  return request;
}

}  // namespace rolesanywhere
