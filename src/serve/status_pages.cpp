#include "serve/status_pages.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rolesanywhere::serve {

namespace {

// What a probe needs to know of one binding; deliberately holds no part of the credentials but
// their expiration, so nothing secret can reach a page by accident.
struct BindingState {
  enum class Kind { kOk, kExpired, kPending };
  Kind kind = Kind::kPending;
  std::optional<TimePoint> expiration;
  std::optional<std::int64_t> seconds_until_expiration;  // only while kOk
};

BindingState state_of(const RefreshStatus& refresh, TimePoint now) {
  BindingState state;
  if (!refresh.credentials) return state;
  state.expiration = refresh.credentials->expiration;
  if (*state.expiration > now) {
    state.kind = BindingState::Kind::kOk;
    state.seconds_until_expiration =
        std::chrono::floor<std::chrono::seconds>(*state.expiration - now).count();
  } else {
    state.kind = BindingState::Kind::kExpired;
  }
  return state;
}

const char* status_word(BindingState::Kind kind) {
  switch (kind) {
    case BindingState::Kind::kOk:
      return "ok";
    case BindingState::Kind::kExpired:
      return "expired";
    case BindingState::Kind::kPending:
      break;
  }
  return "pending";
}

HttpResponse page(long status, const char* content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", content_type});
  // A probe or scraper must see the state of now, never a proxy's copy.
  response.headers.push_back({"Cache-Control", "no-store"});
  response.body = std::move(body);
  return response;
}

// Label values in the text exposition format escape backslash, double quote and line feed.
void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

struct MetricFamily {
  const char* name;
  const char* type;
  const char* help;
};

// Every family of a metric is written together, after its HELP and TYPE, as the format requires;
// `value_of` gives a binding's sample, or nothing for a binding that has none.
template <typename ValueOf>
void append_family(std::string& out, const MetricFamily& family,
                   const std::vector<BindingStatus>& bindings, ValueOf value_of) {
  out += "# HELP ";
  out += family.name;
  out += ' ';
  out += family.help;
  out += "\n# TYPE ";
  out += family.name;
  out += ' ';
  out += family.type;
  out += '\n';
  for (const BindingStatus& binding : bindings) {
    const std::optional<std::string> value = value_of(binding);
    if (!value) continue;
    out += family.name;
    out += "{binding=\"";
    append_label_value(out, binding.name);
    out += "\"} ";
    out += *value;
    out += '\n';
  }
}

}  // namespace

HttpResponse health_page(const std::vector<BindingStatus>& bindings, TimePoint now) {
  // ordered_json: "status" first and each binding's name first, as a person reading it expects.
  nlohmann::ordered_json listed = nlohmann::ordered_json::array();
  bool all_ok = !bindings.empty();  // no binding at all serves nobody: not ready
  for (const BindingStatus& binding : bindings) {
    const BindingState state = state_of(binding.refresh, now);
    nlohmann::ordered_json entry;
    entry["name"] = binding.name;
    entry["status"] = status_word(state.kind);
    if (state.expiration) entry["expiration"] = format_iso8601(*state.expiration);
    if (state.seconds_until_expiration)
      entry["seconds_until_expiration"] = *state.seconds_until_expiration;
    if (binding.refresh.last_error) entry["failing"] = true;
    listed.push_back(std::move(entry));
    if (state.kind != BindingState::Kind::kOk) all_ok = false;
  }
  nlohmann::ordered_json document;
  document["status"] = all_ok ? "ok" : "unavailable";
  document["bindings"] = std::move(listed);
  // A name that is not UTF-8 (the configuration checks it is) must not make the probe throw.
  return page(all_ok ? 200 : 503, "application/json",
              document.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

HttpResponse metrics_page(const std::vector<BindingStatus>& bindings, TimePoint now) {
  std::string out;
  append_family(out,
                {"rolesanywhere_credentials_valid", "gauge",
                 "Whether the binding holds credentials that have not expired (1) or not (0)."},
                bindings, [now](const BindingStatus& binding) -> std::optional<std::string> {
                  const bool ok = state_of(binding.refresh, now).kind == BindingState::Kind::kOk;
                  return ok ? "1" : "0";
                });
  append_family(out,
                {"rolesanywhere_credentials_seconds_until_expiration", "gauge",
                 "Whole seconds until the binding's credentials expire, while they are valid."},
                bindings, [now](const BindingStatus& binding) -> std::optional<std::string> {
                  const BindingState state = state_of(binding.refresh, now);
                  if (!state.seconds_until_expiration) return std::nullopt;
                  return std::to_string(*state.seconds_until_expiration);
                });
  append_family(out,
                {"rolesanywhere_refreshes_total", "counter",
                 "CreateSession calls that returned credentials."},
                bindings, [](const BindingStatus& binding) -> std::optional<std::string> {
                  return std::to_string(binding.refresh.refreshes_total);
                });
  append_family(
      out, {"rolesanywhere_refresh_failures_total", "counter", "Refresh attempts that failed."},
      bindings, [](const BindingStatus& binding) -> std::optional<std::string> {
        return std::to_string(binding.refresh.failures_total);
      });
  append_family(out,
                {"rolesanywhere_consecutive_refresh_failures", "gauge",
                 "Refresh attempts that failed since the latest success."},
                bindings, [](const BindingStatus& binding) -> std::optional<std::string> {
                  return std::to_string(binding.refresh.consecutive_failures);
                });
  return page(200, "text/plain; version=0.0.4; charset=utf-8", std::move(out));
}

}  // namespace rolesanywhere::serve
