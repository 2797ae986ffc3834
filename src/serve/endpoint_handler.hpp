// What the credentials endpoint answers, as a pure function of the request and the time:
// no sockets here, so every path, status and header is unit-tested directly.
//
// IMDSv2, as aws_signing_helper serve answers it:
//   PUT /latest/api/token[/]                        a token; x-aws-ec2-metadata-token-ttl-seconds
//                                                   1..21600 (default 21600); 400 with
//                                                   X-Forwarded-For or a bad TTL
//   GET /latest/meta-data/iam/security-credentials[/]         the role name
//   GET /latest/meta-data/iam/security-credentials/<role>[/]  the credentials JSON
//   (the GETs need x-aws-ec2-metadata-token: 401 without a live one; answers carry the token's
//   remaining TTL; any other method on these paths: 405)
// Container credentials (when enabled):
//   GET <container path>   with Authorization: <token>; 401 otherwise
// With no valid credentials the credentials paths answer 503 and a JSON error, never 200.
// Any request addressed to a name other than an IP address or localhost (DNS rebinding), or sent
// by a web page (Origin), gets 403 first (cross_site_check.hpp).
#pragma once

#include "token_store.hpp"

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/http.hpp"
#include "rolesanywhere/secret.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace rolesanywhere::serve {

inline constexpr const char* kTokenPath = "/latest/api/token";
inline constexpr const char* kSecurityCredentialsPath =
    "/latest/meta-data/iam/security-credentials";
inline constexpr const char* kTokenHeader = "x-aws-ec2-metadata-token";
inline constexpr const char* kTokenTtlHeader = "x-aws-ec2-metadata-token-ttl-seconds";
inline constexpr int kMaxTokenTtlSeconds = 21600;

// What the endpoint can hand out right now.
struct CredentialsSnapshot {
  std::shared_ptr<const Credentials> credentials;  // null when none were obtained yet
  TimePoint last_updated{};                        // when `credentials` were obtained
  std::optional<std::string> last_error;           // why the latest refresh failed, if it did
};
using CredentialsSupplier = std::function<CredentialsSnapshot()>;

struct EndpointConfig {
  std::string role_name;  // the last segment of the role ARN, as the official helper uses
  // Container credentials: served only when an authorization token is set.
  std::optional<SecretString> container_authorization;
  std::string container_path = "/v1/credentials";
  // Served off loopback (--allow-non-loopback): clients may address it by any name
  // (host.docker.internal, a compose service), so Host is not checked; Origin still is.
  bool any_host = false;
};

// The role name the IMDS path lists: the role ARN's resource without its path.
std::string role_name_from_arn(std::string_view role_arn);

class EndpointHandler {
 public:
  EndpointHandler(EndpointConfig config, CredentialsSupplier supplier, TokenStore& tokens);

  HttpResponse handle(const HttpRequest& request, TimePoint now) const;

  const EndpointConfig& config() const noexcept { return config_; }

 private:
  HttpResponse put_token(const HttpRequest& request, TimePoint now) const;
  HttpResponse role_name(const HttpRequest& request, TimePoint now) const;
  HttpResponse imds_credentials(const HttpRequest& request, TimePoint now) const;
  HttpResponse container_credentials(const HttpRequest& request, TimePoint now) const;
  // Credentials valid at `now`, or the 503 to answer instead.
  std::shared_ptr<const Credentials> usable_credentials(TimePoint now, TimePoint& last_updated,
                                                        HttpResponse& unavailable) const;

  EndpointConfig config_;
  CredentialsSupplier supplier_;
  TokenStore& tokens_;
};

}  // namespace rolesanywhere::serve
