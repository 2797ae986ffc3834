#include "serve_common.hpp"

#include "cross_site_check.hpp"

namespace rolesanywhere::serve {

namespace {

constexpr int kDefaultHopLimit = 64;
// Off loopback, answers should not travel past the first router unless asked.
constexpr int kNonLoopbackHopLimit = 1;

}  // namespace

std::optional<HttpResponse> answer_status_request(
    const HttpRequest& request, TimePoint now, bool any_host, bool metrics,
    const std::function<std::vector<BindingStatus>()>& statuses) {
  const bool health = same_endpoint_path(request.path, kHealthPath);
  const bool metrics_page_asked = metrics && same_endpoint_path(request.path, kMetricsPath);
  if (!health && !metrics_page_asked) return std::nullopt;
  if (auto refusal = cross_site_refusal(request, any_host)) return refusal;
  if (request.method != "GET") {
    HttpResponse refusal;
    refusal.status = 405;
    refusal.headers.push_back({"Allow", "GET"});
    return refusal;
  }
  return health ? health_page(statuses(), now) : metrics_page(statuses(), now);
}

CredentialsSupplier credentials_supplier(const CredentialService& credentials) {
  return [&credentials] {
    RefreshStatus status = credentials.status();
    return CredentialsSnapshot{std::move(status.credentials), status.last_success,
                               std::move(status.last_error)};
  };
}

EndpointServerOptions endpoint_server_options(const ServeOptions& options,
                                              const ListeningEndpoint& endpoint,
                                              std::function<void(const std::string&)> warn) {
  EndpointServerOptions server_options;
  server_options.hop_limit =
      options.hop_limit.value_or(endpoint.loopback ? kDefaultHopLimit : kNonLoopbackHopLimit);
  server_options.debug = options.debug;
  if (warn)
    server_options.warn = [warn = std::move(warn)](std::string_view line) {
      warn(std::string(line));
    };
  return server_options;
}

}  // namespace rolesanywhere::serve
