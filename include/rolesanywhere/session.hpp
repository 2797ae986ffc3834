// CreateSession: build the request, sign it with the identity, send it with retries, and turn
// the answer into Credentials or a ServiceError.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/http.hpp"
#include "rolesanywhere/identity.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

namespace rolesanywhere {

struct Arn {
  std::string partition;  // aws, aws-cn, aws-us-gov
  std::string service;    // rolesanywhere, iam
  std::string region;
  std::string account;
  std::string resource;  // "trust-anchor/<uuid>", "role/name"
};
// Throws Error(kInvalidArgument) naming `flag` when `text` is not an ARN; an empty `flag` leaves
// it out.
Arn parse_arn(std::string_view text, std::string_view flag);

// How validate() and resolve_endpoint() name the command-line flags the parameters came from:
// the library never spells a flag itself, the command line passes the names it uses. Empty
// leaves the flag out: "the role session name "x" must be ..." instead of
// "--role-session-name "x" must be ...".
struct SessionLabels {
  std::string trust_anchor_arn;   // "--trust-anchor-arn"
  std::string profile_arn;        // "--profile-arn"
  std::string role_arn;           // "--role-arn"
  std::string duration;           // "--session-duration"
  std::string role_session_name;  // "--role-session-name"
  std::string region;             // "--region"
  std::string endpoint;           // "--endpoint"
  std::string instance_property;  // "--instance-property"
  // "--use-fips-endpoint", or "AWS_USE_FIPS_ENDPOINT=true" when the environment asked for it
  std::string use_fips_endpoint;
};

// CreateSession's instanceProperties map: at most 50 entries, keys and values 1 to 200
// characters (the API reference's InstanceProperty limits).
inline constexpr std::size_t kMaxInstanceProperties = 50;
inline constexpr std::size_t kMaxInstancePropertyLength = 200;

struct CreateSessionParams {
  std::string trust_anchor_arn;
  std::string profile_arn;
  std::string role_arn;
  int duration_seconds = 3600;
  std::optional<std::string> role_session_name;
  std::optional<std::string> region;    // --region
  std::optional<std::string> endpoint;  // --endpoint: URL or host
  // The partition's FIPS host (rolesanywhere-fips.<region>...), signing region unchanged. An
  // explicit `endpoint` wins; a partition without FIPS endpoints is an error.
  bool use_fips_endpoint = false;
  // Sent as the body's instanceProperties (a profile may require them); empty: not sent.
  std::map<std::string, std::string> instance_properties;
  SessionLabels labels;  // for messages only; never sent
};
// "KEY=VALUE" (the value may hold '='), added to `properties`; throws Error(kInvalidArgument)
// naming `flag` for a missing '=', an empty key or value, one over the API's limits, or a key
// given twice.
void add_instance_property(std::map<std::string, std::string>& properties, std::string_view text,
                           std::string_view flag);
// Checks the ARNs and duration; throws Error(kInvalidArgument) naming the flag (labels).
void validate(const CreateSessionParams& params);

struct Endpoint {
  std::string url;     // "https://rolesanywhere.us-east-1.amazonaws.com" (no trailing slash)
  std::string host;    // Host header value (with port when not the scheme's default)
  std::string region;  // signing region
};
// Region from the trust anchor ARN unless overridden; partition suffix from the ARN; the FIPS
// host when params.use_fips_endpoint (aws and aws-us-gov only), unless `endpoint` is given.
Endpoint resolve_endpoint(const CreateSessionParams& params);

// The request as the official helper sends it, unsigned: POST /sessions, ARNs in the query,
// {"durationSeconds":N[,"roleSessionName":...][,"instanceProperties":{...}]} as the body, Host,
// Content-Type, User-Agent.
HttpRequest build_create_session_request(const CreateSessionParams& params,
                                         const Endpoint& endpoint);

// Parses a 201 answer into Credentials; throws Error(kService) on a malformed body.
Credentials parse_create_session_response(const std::string& body);
// Maps an error answer (x-amzn-ErrorType header, {"message":...} body) to a ServiceError.
ServiceError service_error_from_response(const HttpResponse& response);

// --- transport ---

struct TransportOptions {
  bool verify_tls = true;
  std::optional<std::string> ca_bundle;  // AWS_CA_BUNDLE
  bool use_proxy = false;                // --with-proxy: honour *_proxy variables
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  // When stop is requested, a transfer in progress (connecting, or waiting for an answer that
  // may never come) ends at once with Error(kCancelled), so SIGTERM does not wait for a timeout.
  std::stop_token cancel;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Throws Error(kTransport) when no HTTP answer was received (DNS, connect, TLS, timeout,
  // connection dropped), Error(kCancelled) when the options' cancel token stopped it. Any HTTP
  // answer, error statuses included, is returned.
  virtual HttpResponse send(const std::string& base_url, const HttpRequest& request) = 0;
};

// libcurl, one easy handle kept for the transport's life so connections are reused. libcurl is
// loaded at the first call, not before main; throws Error(kNotSupported) naming the Debian
// package when it cannot be loaded.
std::unique_ptr<HttpTransport> make_curl_transport(const TransportOptions& options);

// Starts loading libcurl on a background thread and returns at once, so the load overlaps other
// work (parsing the key, signing); a later make_curl_transport finds it loaded or waits for the
// load to finish. A failed load is reported by that make_curl_transport, never here. Optional:
// without it make_curl_transport loads libcurl itself.
void preload_http_client();

// --- retries ---

struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5'000};
  // Injected so tests neither sleep nor depend on randomness.
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this_thread::sleep_for
  std::function<double()> random_unit;                   // default: uniform [0,1)
  // Requested: no further attempt starts, and the default sleep between attempts ends early;
  // create_session then throws Error(kCancelled).
  std::stop_token cancel;
};
// Full jitter: uniform in [0, min(max_delay, base_delay * 2^(attempt-1))].
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);

// Signs (freshly, with the clock's time, on every attempt) and sends CreateSession, retrying
// connection errors, 5xx and throttling; a 4xx other than throttling ends it at once. A cancel
// (retry.cancel, or the transport's) ends it with Error(kCancelled), never retried.
Credentials create_session(const Identity& identity, const CreateSessionParams& params,
                           HttpTransport& transport, const Clock& clock,
                           const RetryPolicy& retry = {}, const DebugSink& debug_sink = {});

}  // namespace rolesanywhere
