#include "serve/status_pages.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;
using namespace std::chrono_literals;

namespace {

// Half a second past 09:03:07, so "seconds until expiration" must round down, not to nearest.
const TimePoint kNow = parse_iso8601("2026-12-05T09:03:07Z") + 500ms;
const TimePoint kExpiration = parse_iso8601("2026-12-05T10:00:00Z");  // 3412.5 s after kNow

// Recognisable values, so a test can tell that no part of the credentials reached a page.
constexpr const char* kAccessKeyId = "ASIAMARKERACCESSKEY";
constexpr const char* kSecret = "MarkerSecretAccessKey/do-not-leak";
constexpr const char* kToken = "MarkerSessionToken+do-not-leak";

RefreshStatus holding(TimePoint expiration) {
  Credentials credentials;
  credentials.access_key_id = kAccessKeyId;
  credentials.secret_access_key = SecretString(kSecret);
  credentials.session_token = SecretString(kToken);
  credentials.expiration = expiration;
  RefreshStatus status;
  status.credentials = std::make_shared<const Credentials>(std::move(credentials));
  status.last_success = expiration - 1h;
  return status;
}

BindingStatus binding(std::string name, RefreshStatus refresh) {
  return BindingStatus{std::move(name), std::move(refresh)};
}

std::string header_of(const HttpResponse& response, const char* name) {
  return response.header(name).value_or("<absent>");
}

void check_no_secret(const HttpResponse& response) {
  CHECK(response.body.find(kAccessKeyId) == std::string::npos);
  CHECK(response.body.find(kSecret) == std::string::npos);
  CHECK(response.body.find(kToken) == std::string::npos);
  CHECK(response.body.find("Token") == std::string::npos);
  CHECK(response.body.find("Secret") == std::string::npos);
}

const char* const kEmptyMetrics =
    "# HELP rolesanywhere_credentials_valid Whether the binding holds credentials that have not "
    "expired (1) or not (0).\n"
    "# TYPE rolesanywhere_credentials_valid gauge\n"
    "# HELP rolesanywhere_credentials_seconds_until_expiration Whole seconds until the binding's "
    "credentials expire, while they are valid.\n"
    "# TYPE rolesanywhere_credentials_seconds_until_expiration gauge\n"
    "# HELP rolesanywhere_refreshes_total CreateSession calls that returned credentials.\n"
    "# TYPE rolesanywhere_refreshes_total counter\n"
    "# HELP rolesanywhere_refresh_failures_total Refresh attempts that failed.\n"
    "# TYPE rolesanywhere_refresh_failures_total counter\n"
    "# HELP rolesanywhere_consecutive_refresh_failures Refresh attempts that failed since the "
    "latest success.\n"
    "# TYPE rolesanywhere_consecutive_refresh_failures gauge\n";

}  // namespace

TEST_CASE("healthz: every binding holding valid credentials is 200 ok, seconds rounded down") {
  const HttpResponse response = health_page(
      {binding("web", holding(kExpiration)), binding("batch", holding(kNow + 500ms))}, kNow);
  CHECK(response.status == 200);
  CHECK(response.body == R"({"status":"ok","bindings":[)"
                         R"({"name":"web","status":"ok","expiration":"2026-12-05T10:00:00Z",)"
                         R"("seconds_until_expiration":3412},)"
                         R"({"name":"batch","status":"ok","expiration":"2026-12-05T09:03:08Z",)"
                         R"("seconds_until_expiration":0}]})");
}

TEST_CASE("healthz: a binding without credentials yet is pending, and the page is 503") {
  const HttpResponse response =
      health_page({binding("web", holding(kExpiration)), binding("batch", RefreshStatus{})}, kNow);
  CHECK(response.status == 503);
  CHECK(response.body == R"({"status":"unavailable","bindings":[)"
                         R"({"name":"web","status":"ok","expiration":"2026-12-05T10:00:00Z",)"
                         R"("seconds_until_expiration":3412},)"
                         R"({"name":"batch","status":"pending"}]})");
}

TEST_CASE("healthz: credentials that expired, even at this very instant, are expired and 503") {
  const HttpResponse response = health_page({binding("web", holding(kNow))}, kNow);
  CHECK(response.status == 503);
  CHECK(response.body ==
        R"({"status":"unavailable","bindings":[)"
        R"({"name":"web","status":"expired","expiration":"2026-12-05T09:03:07Z"}]})");
}

TEST_CASE("healthz: a failing binding says so, and still counts as ok while its credentials are") {
  RefreshStatus failing_ok = holding(kExpiration);
  failing_ok.last_error = "CreateSession for /etc/pki/web.pem refused: AccessDeniedException";
  failing_ok.consecutive_failures = 2;
  RefreshStatus failing_pending;
  failing_pending.last_error = "connection refused";
  failing_pending.consecutive_failures = 1;

  const HttpResponse healthy = health_page({binding("web", failing_ok)}, kNow);
  CHECK(healthy.status == 200);
  CHECK(healthy.body == R"({"status":"ok","bindings":[)"
                        R"({"name":"web","status":"ok","expiration":"2026-12-05T10:00:00Z",)"
                        R"("seconds_until_expiration":3412,"failing":true}]})");
  // The error message may name a file or an ARN: a probe gets the state only.
  CHECK(healthy.body.find("refused") == std::string::npos);

  const HttpResponse unhealthy = health_page({binding("batch", failing_pending)}, kNow);
  CHECK(unhealthy.status == 503);
  CHECK(
      unhealthy.body ==
      R"({"status":"unavailable","bindings":[{"name":"batch","status":"pending","failing":true}]})");
}

TEST_CASE("healthz: no binding at all is unavailable") {
  const HttpResponse response = health_page({}, kNow);
  CHECK(response.status == 503);
  CHECK(response.body == R"({"status":"unavailable","bindings":[]})");
}

TEST_CASE("healthz and metrics are JSON and Prometheus text, never cached") {
  const std::vector<BindingStatus> bindings{binding("web", holding(kExpiration))};
  const HttpResponse health = health_page(bindings, kNow);
  CHECK(header_of(health, "Content-Type") == "application/json");
  CHECK(header_of(health, "Cache-Control") == "no-store");
  const HttpResponse unhealthy = health_page({}, kNow);
  CHECK(header_of(unhealthy, "Content-Type") == "application/json");
  CHECK(header_of(unhealthy, "Cache-Control") == "no-store");

  const HttpResponse metrics = metrics_page(bindings, kNow);
  CHECK(metrics.status == 200);
  CHECK(header_of(metrics, "Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(header_of(metrics, "Cache-Control") == "no-store");
}

TEST_CASE("neither page holds any part of the credentials, in any state") {
  RefreshStatus failing = holding(kExpiration);
  failing.last_error = "down";
  const std::vector<std::vector<BindingStatus>> cases{
      {binding("web", holding(kExpiration))},
      {binding("web", holding(kNow - 1s))},
      {binding("web", failing)},
      {binding("web", holding(kExpiration)), binding("batch", RefreshStatus{})},
  };
  for (const std::vector<BindingStatus>& bindings : cases) {
    check_no_secret(health_page(bindings, kNow));
    check_no_secret(metrics_page(bindings, kNow));
  }
}

TEST_CASE("metrics: the exact text for one binding that holds credentials and one pending") {
  RefreshStatus web = holding(kExpiration);
  web.refreshes_total = 3;
  web.failures_total = 1;
  RefreshStatus batch;
  batch.failures_total = 4;
  batch.consecutive_failures = 4;
  batch.last_error = "connection refused";

  const HttpResponse response = metrics_page({binding("web", web), binding("batch", batch)}, kNow);
  CHECK(response.status == 200);
  CHECK(response.body ==
        "# HELP rolesanywhere_credentials_valid Whether the binding holds credentials that have "
        "not expired (1) or not (0).\n"
        "# TYPE rolesanywhere_credentials_valid gauge\n"
        "rolesanywhere_credentials_valid{binding=\"web\"} 1\n"
        "rolesanywhere_credentials_valid{binding=\"batch\"} 0\n"
        "# HELP rolesanywhere_credentials_seconds_until_expiration Whole seconds until the "
        "binding's credentials expire, while they are valid.\n"
        "# TYPE rolesanywhere_credentials_seconds_until_expiration gauge\n"
        "rolesanywhere_credentials_seconds_until_expiration{binding=\"web\"} 3412\n"
        "# HELP rolesanywhere_refreshes_total CreateSession calls that returned credentials.\n"
        "# TYPE rolesanywhere_refreshes_total counter\n"
        "rolesanywhere_refreshes_total{binding=\"web\"} 3\n"
        "rolesanywhere_refreshes_total{binding=\"batch\"} 0\n"
        "# HELP rolesanywhere_refresh_failures_total Refresh attempts that failed.\n"
        "# TYPE rolesanywhere_refresh_failures_total counter\n"
        "rolesanywhere_refresh_failures_total{binding=\"web\"} 1\n"
        "rolesanywhere_refresh_failures_total{binding=\"batch\"} 4\n"
        "# HELP rolesanywhere_consecutive_refresh_failures Refresh attempts that failed since the "
        "latest success.\n"
        "# TYPE rolesanywhere_consecutive_refresh_failures gauge\n"
        "rolesanywhere_consecutive_refresh_failures{binding=\"web\"} 0\n"
        "rolesanywhere_consecutive_refresh_failures{binding=\"batch\"} 4\n");
}

TEST_CASE("metrics: expired credentials are not valid and have no seconds until expiration") {
  const std::string body = metrics_page({binding("web", holding(kNow - 1s))}, kNow).body;
  CHECK(body.find("rolesanywhere_credentials_valid{binding=\"web\"} 0\n") != std::string::npos);
  CHECK(body.find("rolesanywhere_credentials_seconds_until_expiration{") == std::string::npos);
}

TEST_CASE("metrics: no binding at all leaves only the HELP and TYPE lines") {
  const HttpResponse response = metrics_page({}, kNow);
  CHECK(response.status == 200);
  CHECK(response.body == kEmptyMetrics);
}

TEST_CASE("metrics: label values escape backslash, double quote and line feed") {
  const std::string body = metrics_page({binding("a\\b\"c\nd", RefreshStatus{})}, kNow).body;
  CHECK(body.find("rolesanywhere_credentials_valid{binding=\"a\\\\b\\\"c\\nd\"} 0\n") !=
        std::string::npos);
  CHECK(body.find("c\nd") == std::string::npos);  // no raw line feed splits a sample
}
