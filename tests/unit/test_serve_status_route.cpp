// /healthz and /metrics in front of the credentials paths (serve_common.hpp): which requests they
// take, and that the cross-site rules of every other path hold for them too.
#include "serve/serve_common.hpp"

#include <doctest/doctest.h>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;

namespace {

HttpRequest get(const std::string& path) {
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.headers.push_back({"Host", "127.0.0.1:9911"});
  return request;
}

std::optional<HttpResponse> route(const HttpRequest& request, bool metrics, int* asked = nullptr,
                                  bool any_host = false) {
  return answer_status_request(request, TimePoint{}, any_host, metrics, [asked] {
    if (asked) ++*asked;
    return std::vector<BindingStatus>{{"default", {}}};
  });
}

}  // namespace

TEST_CASE("status route: /healthz always, /metrics only when enabled, other paths passed on") {
  int asked = 0;
  const auto health = route(get("/healthz"), false, &asked);
  REQUIRE(health);
  CHECK(health->status == 503);  // the one binding has no credentials
  CHECK(asked == 1);
  CHECK(route(get("/healthz/"), false));
  CHECK_FALSE(route(get("/metrics"), false));
  const auto metrics = route(get("/metrics"), true);
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  for (const char* path : {"/", "/healthzz", "/healthz/x", "/v1/credentials", "/latest/api/token"})
    CHECK_FALSE(route(get(path), true, &asked));
  CHECK(asked == 1);  // statuses are gathered only for the pages
}

TEST_CASE("status route: the cross-site rules and the method come first") {
  HttpRequest rebound = get("/healthz");
  rebound.headers = {{"Host", "attacker.example:9911"}};
  CHECK(route(rebound, true)->status == 403);
  CHECK(route(rebound, true, nullptr, /*any_host=*/true)->status == 503);

  HttpRequest from_page = get("/metrics");
  from_page.headers.push_back({"Origin", "http://127.0.0.1:9911"});
  CHECK(route(from_page, true)->status == 403);

  HttpRequest put = get("/healthz");
  put.method = "PUT";
  const auto refused = route(put, true);
  REQUIRE(refused);
  CHECK(refused->status == 405);
}
