#include "endpoint_handler.hpp"

#include "credentials_documents.hpp"
#include "cross_site_check.hpp"

#include "rolesanywhere/serve.hpp"

#include <openssl/crypto.h>

#include <charconv>

namespace rolesanywhere::serve {

namespace {

HttpResponse answer(long status, std::string body, const char* content_type = "text/plain") {
  HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", content_type});
  response.body = std::move(body);
  return response;
}

HttpResponse method_not_allowed(const char* allowed) {
  HttpResponse response = answer(405, "");
  response.headers.push_back({"Allow", allowed});
  return response;
}

// The path with one trailing slash removed: the official helper answers both forms.
std::string_view without_trailing_slash(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// Strictly decimal digits in 1..21600: "+5", " 5", "5s" and "0x10" are refused, not guessed at.
std::optional<int> parse_token_ttl(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value < 1 || value > kMaxTokenTtlSeconds) return std::nullopt;
  return value;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool same_endpoint_path(std::string_view a, std::string_view b) {
  return without_trailing_slash(a) == without_trailing_slash(b);
}

std::optional<std::string> container_path_problem(std::string_view path) {
  if (!path.starts_with('/')) return "must start with '/'";
  if (path == "/latest" || path.starts_with("/latest/"))
    return "must not lie under /latest/, where the IMDS paths are";
  if (same_endpoint_path(path, kHealthPath) || same_endpoint_path(path, kMetricsPath))
    return "/healthz and /metrics are serve's status pages";
  return std::nullopt;
}

std::string role_name_from_arn(std::string_view role_arn) {
  const std::size_t slash = role_arn.rfind('/');
  return std::string(slash == std::string_view::npos ? role_arn : role_arn.substr(slash + 1));
}

EndpointHandler::EndpointHandler(EndpointConfig config, CredentialsSupplier supplier,
                                 TokenStore& tokens)
    : config_(std::move(config)), supplier_(std::move(supplier)), tokens_(tokens) {}

HttpResponse EndpointHandler::handle(const HttpRequest& request, TimePoint now) const {
  // DNS rebinding and other requests from web pages (cross_site_check.hpp).
  if (auto refusal = cross_site_refusal(request, config_.any_host)) return std::move(*refusal);

  const std::string_view path = without_trailing_slash(request.path);
  const std::string credentials_prefix = std::string(kSecurityCredentialsPath) + "/";

  if (path == kTokenPath) return put_token(request, now);
  if (path == kSecurityCredentialsPath) return role_name(request, now);
  if (path.starts_with(credentials_prefix) &&
      path.substr(credentials_prefix.size()) == config_.role_name)
    return imds_credentials(request, now);
  if (config_.container_authorization && path == without_trailing_slash(config_.container_path))
    return container_credentials(request, now);
  return answer(404, "Not Found");
}

HttpResponse EndpointHandler::put_token(const HttpRequest& request, TimePoint now) const {
  if (request.method != "PUT") return method_not_allowed("PUT");
  // A token request that went through a proxy did not come from this machine's own software.
  if (request.header("X-Forwarded-For"))
    return answer(400, "unable to process requests with X-Forwarded-For header");

  const std::optional<std::string> ttl_header = request.header(kTokenTtlHeader);
  const std::string ttl_text =
      ttl_header && !ttl_header->empty() ? *ttl_header : std::to_string(kMaxTokenTtlSeconds);
  const std::optional<int> ttl = parse_token_ttl(ttl_text);
  if (!ttl) return answer(400, "invalid token TTL");

  HttpResponse response = answer(200, tokens_.issue(std::chrono::seconds(*ttl), now));
  response.headers.push_back({kTokenTtlHeader, std::to_string(*ttl)});
  return response;
}

namespace {

// Checks x-aws-ec2-metadata-token: the remaining TTL, or fills `refusal` with the 401.
std::optional<std::chrono::seconds> check_token(const TokenStore& tokens,
                                                const HttpRequest& request, TimePoint now,
                                                HttpResponse& refusal) {
  const std::string* token = request.header_value(kTokenHeader);  // a secret: not copied
  if (!token || token->empty()) {
    refusal = answer(401, "no token provided");
    return std::nullopt;
  }
  const auto remaining = tokens.remaining(*token, now);
  if (!remaining) refusal = answer(401, "invalid token provided");
  return remaining;
}

}  // namespace

HttpResponse EndpointHandler::role_name(const HttpRequest& request, TimePoint now) const {
  if (request.method != "GET") return method_not_allowed("GET");
  HttpResponse refusal;
  const auto remaining = check_token(tokens_, request, now, refusal);
  if (!remaining) return refusal;
  HttpResponse response = answer(200, config_.role_name);
  response.headers.push_back({kTokenTtlHeader, std::to_string(remaining->count())});
  return response;
}

std::shared_ptr<const Credentials> EndpointHandler::usable_credentials(
    TimePoint now, TimePoint& last_updated, HttpResponse& unavailable) const {
  CredentialsSnapshot snapshot = supplier_ ? supplier_() : CredentialsSnapshot{};
  if (snapshot.credentials && snapshot.credentials->expiration > now) {
    last_updated = snapshot.last_updated;
    return std::move(snapshot.credentials);
  }
  std::string message = snapshot.credentials ? "the credentials expired and a refresh has not "
                                               "succeeded yet"
                                             : "no credentials have been obtained yet";
  if (snapshot.last_error) message += "; the latest attempt failed: " + *snapshot.last_error;
  unavailable = answer(503, error_json("CredentialsUnavailable", message), "application/json");
  unavailable.headers.push_back({"Retry-After", "1"});
  return nullptr;
}

HttpResponse EndpointHandler::imds_credentials(const HttpRequest& request, TimePoint now) const {
  if (request.method != "GET") return method_not_allowed("GET");
  HttpResponse refusal;
  const auto remaining = check_token(tokens_, request, now, refusal);
  if (!remaining) return refusal;

  TimePoint last_updated;
  HttpResponse unavailable;
  const auto credentials = usable_credentials(now, last_updated, unavailable);
  if (!credentials) return unavailable;
  HttpResponse response =
      answer(200, imds_credentials_json(*credentials, last_updated), "application/json");
  response.headers.push_back({kTokenTtlHeader, std::to_string(remaining->count())});
  return response;
}

HttpResponse EndpointHandler::container_credentials(const HttpRequest& request,
                                                    TimePoint now) const {
  if (request.method != "GET") return method_not_allowed("GET");
  const std::string* authorization = request.header_value("Authorization");  // not copied
  if (!authorization || authorization->empty())
    return answer(401, error_json("Unauthorized", "no Authorization header"), "application/json");
  if (!constant_time_equal(*authorization, config_.container_authorization->reveal()))
    return answer(401, error_json("Unauthorized", "the Authorization token is not the one set"),
                  "application/json");

  TimePoint last_updated;
  HttpResponse unavailable;
  const auto credentials = usable_credentials(now, last_updated, unavailable);
  if (!credentials) return unavailable;
  return answer(200, container_credentials_json(*credentials), "application/json");
}

}  // namespace rolesanywhere::serve
