// Shared by the provider and service tests: a transport that plays back a script of answers
// (thread-safe: services call it from their refreshing thread), CreateSession answers and
// parameters, a provider over the generated test PKI, and a wait on a FixedClock.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/session.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace service_test {

using namespace rolesanywhere;

// Each send takes the next step: an answer, or an Error to throw. Past the end of the script the
// last step repeats.
class ScriptedTransport final : public HttpTransport {
 public:
  using Step = std::variant<HttpResponse, Error>;
  explicit ScriptedTransport(std::vector<Step> script) : script_(script.begin(), script.end()) {}

  HttpResponse send(const std::string&, const HttpRequest& request) override {
    Step step = [&] {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      Step next = script_.front();
      if (script_.size() > 1) script_.pop_front();
      return next;
    }();
    if (auto* error = std::get_if<Error>(&step)) throw *error;
    return std::get<HttpResponse>(std::move(step));
  }

  // Replaces what is left of the script.
  void then(std::vector<Step> script) {
    std::lock_guard lock(mutex_);
    script_.assign(script.begin(), script.end());
  }
  std::size_t sent() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  HttpRequest request(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return requests_.at(index);
  }

 private:
  mutable std::mutex mutex_;
  std::deque<Step> script_;
  std::vector<HttpRequest> requests_;
};

inline HttpResponse created(const std::string& access_key_id, TimePoint expiration) {
  HttpResponse response;
  response.status = 201;
  response.body = R"({"credentialSet":[{"credentials":{"accessKeyId":")" + access_key_id +
                  R"(","secretAccessKey":"SECRET-)" + access_key_id +
                  R"(","sessionToken":"TOKEN-)" + access_key_id + R"(","expiration":")" +
                  format_iso8601(expiration) + R"("}}],"subjectArn":"arn:x"})";
  return response;
}

inline HttpResponse refused_by_service() {
  HttpResponse response;
  response.status = 403;
  response.headers = {{"x-amzn-ErrorType", "AccessDeniedException"}};
  response.body = R"({"message":"Untrusted signing certificate"})";
  return response;
}

inline Error unreachable() {
  return Error(Error::Kind::kTransport, "could not reach https://h: connection refused");
}

inline CreateSessionParams test_params() {
  CreateSessionParams params;
  params.trust_anchor_arn =
      "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/a1b2c3d4-0000-1111-2222-3333";
  params.profile_arn =
      "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/f0e1d2c3-0000-1111-2222-3333";
  params.role_arn = "arn:aws:iam::123456789012:role/Workload";
  return params;
}

// A provider signing with the test PKI's `kind` identity from files (watched for renewal when
// `paths` are given), sending through `transport`, which it owns.
inline std::unique_ptr<RolesAnywhereProvider> make_provider(
    IdentitySource source, const Clock& clock, std::unique_ptr<HttpTransport> transport,
    bool watch_files = true) {
  std::vector<std::string> paths =
      watch_files ? identity_files(source) : std::vector<std::string>{};
  RenewableIdentity identity(std::move(paths),
                             [source, &clock] { return load_identity(source, clock, {}); });
  return std::make_unique<RolesAnywhereProvider>(std::move(identity), test_params(),
                                                 std::move(transport));
}

// One request to a serve endpoint at `base_url` ("http://127.0.0.1:PORT") through the helper's
// own libcurl transport, a fresh connection each, addressed to 127.0.0.1. Throws Error(kTransport)
// when no answer comes (the endpoint closed).
inline HttpResponse endpoint_request(const std::string& base_url, const std::string& method,
                                     const std::string& path,
                                     std::vector<HttpHeader> headers = {}) {
  TransportOptions options;
  options.total_timeout = std::chrono::milliseconds(10'000);
  auto client = make_curl_transport(options);
  HttpRequest http;
  http.method = method;
  http.path = path;
  http.headers = std::move(headers);
  http.headers.push_back({"Host", "127.0.0.1"});
  return client->send(base_url, http);
}

// Polls `condition` for up to about 4 s of real time, moving `clock` by `step` each time.
template <typename Condition>
bool eventually(FixedClock& clock, std::chrono::seconds step, Condition condition) {
  for (int i = 0; i < 4000; ++i) {
    if (condition()) return true;
    clock.advance(step);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}

}  // namespace service_test
