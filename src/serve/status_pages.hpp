// GET /healthz and GET /metrics of serve, as pure functions of what each binding holds and the
// time: no sockets here, so every status and line is unit-tested directly. Neither page ever holds
// a credential, a token or an error message (an error may name a file or an ARN; a probe only
// needs the state).
//
// /healthz: 200 when every binding holds credentials valid at `now`, else 503; the body, JSON:
//   {"status":"ok"|"unavailable",
//    "bindings":[{"name":"web","status":"ok","expiration":"2026-12-05T10:00:00Z",
//                 "seconds_until_expiration":3412},
//                {"name":"batch","status":"pending"}]}        (no credentials obtained yet)
//                {"name":"batch","status":"expired","expiration":"..."}  (all it had expired)
//   and "failing": true on a binding whose latest refresh failed (its credentials may still be ok).
// /metrics: the Prometheus text exposition format 0.0.4, one series per binding (label name):
//   rolesanywhere_credentials_valid{binding="web"} 1
//   rolesanywhere_credentials_seconds_until_expiration{binding="web"} 3412   (absent without any)
//   rolesanywhere_refreshes_total{binding="web"} 3
//   rolesanywhere_refresh_failures_total{binding="web"} 1
//   rolesanywhere_consecutive_refresh_failures{binding="web"} 0
//   each metric with its # HELP and # TYPE lines once.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/http.hpp"
#include "rolesanywhere/refresher.hpp"
#include "rolesanywhere/serve.hpp"

#include <string>
#include <vector>

namespace rolesanywhere::serve {

struct BindingStatus {
  std::string name;  // [A-Za-z0-9_-]+ (the single serve's binding is "default")
  RefreshStatus refresh;
};

HttpResponse health_page(const std::vector<BindingStatus>& bindings, TimePoint now);
HttpResponse metrics_page(const std::vector<BindingStatus>& bindings, TimePoint now);

}  // namespace rolesanywhere::serve
