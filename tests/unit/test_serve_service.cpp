// ServeService without a process: the socket policy, when the endpoint is announced, what a
// refusal or an outage at start does, and that a client gets the credentials. A scripted
// transport stands in for Roles Anywhere; clients talk HTTP to the real endpoint on loopback.
#include "test_identity_fixtures.hpp"
#include "test_service_fixtures.hpp"

#include "rolesanywhere/serve.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

using namespace rolesanywhere;
using namespace service_test;
using namespace std::chrono_literals;

namespace {

serve::ServeOptions loopback_any_port() {
  serve::ServeOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.policy.first_retry = 10ms;
  options.policy.max_retry = 60'000ms;
  options.policy.max_sleep_slice = 2ms;
  return options;
}

struct Heard {
  std::mutex mutex;
  std::optional<serve::ListeningEndpoint> announced;
  std::optional<std::string> first_retrying;
  bool still_pending = false;
  std::vector<FailureReport> failures;
  std::vector<std::string> recovered;  // access key ids
};

// Answers once released: a service that takes its time with the first CreateSession.
class HeldTransport final : public HttpTransport {
 public:
  explicit HeldTransport(HttpResponse answer) : answer_(std::move(answer)) {}
  HttpResponse send(const std::string&, const HttpRequest&) override {
    std::unique_lock lock(mutex_);
    released_condition_.wait(lock, [this] { return released_; });
    return answer_;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    released_condition_.notify_all();
  }

 private:
  HttpResponse answer_;
  std::mutex mutex_;
  std::condition_variable released_condition_;
  bool released_ = false;
};

struct Rig {
  explicit Rig(std::vector<ScriptedTransport::Step> script,
               serve::ServeOptions options = loopback_any_port()) {
    auto scripted = std::make_unique<ScriptedTransport>(std::move(script));
    transport = scripted.get();
    start(std::move(scripted), std::move(options));
  }
  Rig(std::unique_ptr<HttpTransport> any_transport, serve::ServeOptions options) {
    start(std::move(any_transport), std::move(options));
  }
  void start(std::unique_ptr<HttpTransport> any_transport, serve::ServeOptions options) {
    IdentitySource source;
    source.certificate = identity_test::pki("p256.crt.pem");
    source.private_key = identity_test::pki("p256.key.pem");
    provider = make_provider(source, clock, std::move(any_transport));
    serve::ServeEvents events;
    events.listening = [this](const serve::ListeningEndpoint& endpoint) {
      std::lock_guard lock(heard.mutex);
      heard.announced = endpoint;
    };
    events.first_retrying = [this](const std::string& failure) {
      std::lock_guard lock(heard.mutex);
      heard.first_retrying = failure;
    };
    events.first_still_pending = [this] {
      std::lock_guard lock(heard.mutex);
      heard.still_pending = true;
    };
    events.failed = [this](const FailureReport& report) {
      std::lock_guard lock(heard.mutex);
      heard.failures.push_back(report);
    };
    events.recovered = [this](const Credentials& credentials) {
      std::lock_guard lock(heard.mutex);
      heard.recovered.push_back(credentials.access_key_id);
    };
    service = std::make_unique<serve::ServeService>(serve::ServeListener(std::move(options)),
                                                    *provider, clock, events);
    refreshes = std::jthread([this](std::stop_token stop) { service->run_refreshes(stop); });
  }
  ~Rig() {
    refreshes.request_stop();
    refreshes.join();
  }

  // start() on another thread, the clock moved by `step` while it runs; what it threw, if any.
  std::exception_ptr start_while_advancing(std::chrono::seconds step, std::stop_source& stop) {
    auto started = std::async(std::launch::async, [&] { service->start(stop.get_token()); });
    while (started.wait_for(1ms) != std::future_status::ready) clock.advance(step);
    try {
      started.get();
    } catch (...) {
      return std::current_exception();
    }
    return nullptr;
  }

  FixedClock clock{std::chrono::system_clock::now()};
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<RolesAnywhereProvider> provider;
  Heard heard;
  std::unique_ptr<serve::ServeService> service;
  std::jthread refreshes;
};

std::string without_slash(std::string url) {
  if (url.ends_with('/')) url.pop_back();
  return url;
}

}  // namespace

TEST_CASE("serve service: an address that is not loopback is refused unless allowed") {
  serve::ServeOptions options = loopback_any_port();
  options.bind_address = "0.0.0.0";
  CHECK_THROWS_WITH_AS(serve::ServeListener{options},
                       doctest::Contains("is not a loopback address"), Error);
  options.allow_non_loopback = true;
  const serve::ServeListener listener(options);
  CHECK_FALSE(listener.endpoint().loopback);
  CHECK(listener.endpoint().host == "0.0.0.0");
  CHECK(listener.endpoint().metadata_url.starts_with("http://127.0.0.1:"));
}

TEST_CASE("serve service: announced once the first credentials arrive, which clients get") {
  Rig rig({created("ASIASERVED", std::chrono::system_clock::now() + 1h)});
  std::stop_source stop;
  REQUIRE(rig.start_while_advancing(0s, stop) == nullptr);
  serve::ListeningEndpoint endpoint;
  {
    std::lock_guard lock(rig.heard.mutex);
    REQUIRE(rig.heard.announced.has_value());
    endpoint = *rig.heard.announced;
    CHECK_FALSE(rig.heard.still_pending);
  }
  CHECK(endpoint.loopback);
  CHECK(endpoint.port != 0);
  CHECK_FALSE(endpoint.container_url.has_value());

  const std::string base = without_slash(endpoint.metadata_url);
  const HttpResponse token = endpoint_request(base, "PUT", "/latest/api/token",
                                              {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}});
  REQUIRE(token.status == 200);
  const HttpHeader with_token{"x-aws-ec2-metadata-token", token.body};
  const HttpResponse role =
      endpoint_request(base, "GET", "/latest/meta-data/iam/security-credentials/", {with_token});
  CHECK(role.status == 200);
  CHECK(role.body == "Workload");
  const HttpResponse credentials = endpoint_request(
      base, "GET", "/latest/meta-data/iam/security-credentials/Workload", {with_token});
  CHECK(credentials.status == 200);
  CHECK(credentials.body.find("\"AccessKeyId\":\"ASIASERVED\"") != std::string::npos);
  rig.service->shutdown(0ms);
}

TEST_CASE("serve service: a refusal of the first CreateSession ends start, unannounced") {
  Rig rig({refused_by_service()});
  std::stop_source stop;
  const std::exception_ptr thrown = rig.start_while_advancing(0s, stop);
  REQUIRE(thrown != nullptr);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(thrown),
                       "AccessDeniedException: Untrusted signing certificate", ServiceError);
  std::lock_guard lock(rig.heard.mutex);
  CHECK_FALSE(rig.heard.announced.has_value());
}

TEST_CASE("serve service: an outage at start is announced and said; a refusal later ends it") {
  // CreateSession itself tries three times before the attempt counts as failed.
  Rig rig({unreachable(), unreachable(), unreachable(), refused_by_service()});
  std::stop_source stop;
  const std::exception_ptr thrown = rig.start_while_advancing(1s, stop);
  REQUIRE(thrown != nullptr);
  CHECK_THROWS_AS(std::rethrow_exception(thrown), ServiceError);
  std::lock_guard lock(rig.heard.mutex);
  CHECK(rig.heard.announced.has_value());
  REQUIRE(rig.heard.first_retrying.has_value());
  CHECK(rig.heard.first_retrying->find("connection refused") != std::string::npos);
}

TEST_CASE("serve service: an outage at start keeps serving until a stop") {
  Rig rig({unreachable()});
  std::stop_source stop;
  auto started = std::async(std::launch::async, [&] { rig.service->start(stop.get_token()); });
  REQUIRE(eventually(rig.clock, 0s, [&] {
    std::lock_guard lock(rig.heard.mutex);
    return rig.heard.first_retrying.has_value();
  }));
  CHECK(started.wait_for(20ms) == std::future_status::timeout);  // still serving, 503
  stop.request_stop();
  CHECK_NOTHROW(started.get());
}

TEST_CASE("serve service: with a token file, the container path is served and announced") {
  const std::string token_file = identity_test::scratch("serve-service-token");
  std::filesystem::remove(token_file);
  serve::ServeOptions options = loopback_any_port();
  options.container_token_file = token_file;
  Rig rig({created("ASIACONTAINER", std::chrono::system_clock::now() + 1h)}, options);
  std::stop_source stop;
  REQUIRE(rig.start_while_advancing(0s, stop) == nullptr);
  serve::ListeningEndpoint endpoint;
  {
    std::lock_guard lock(rig.heard.mutex);
    REQUIRE(rig.heard.announced.has_value());
    endpoint = *rig.heard.announced;
  }
  REQUIRE(endpoint.container_url.has_value());
  CHECK(*endpoint.container_url == without_slash(endpoint.metadata_url) + "/v1/credentials");
  CHECK(endpoint.container_token_file == token_file);
  struct stat info {};
  REQUIRE(::stat(token_file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  const std::string token = identity_test::read_file(token_file);
  const std::string base = without_slash(endpoint.metadata_url);
  CHECK(endpoint_request(base, "GET", "/v1/credentials", {{"Authorization", "wrong"}}).status !=
        200);
  const HttpResponse answer =
      endpoint_request(base, "GET", "/v1/credentials", {{"Authorization", token}});
  CHECK(answer.status == 200);
  CHECK(answer.body.find("ASIACONTAINER") != std::string::npos);
}

TEST_CASE("serve service: a first CreateSession that takes its time is announced, then served") {
  serve::ServeOptions options = loopback_any_port();
  options.announce_after = 20ms;
  auto held = std::make_unique<HeldTransport>(
      created("ASIAPATIENT", std::chrono::system_clock::now() + 1h));
  HeldTransport* transport = held.get();
  Rig rig(std::move(held), options);
  std::stop_source stop;
  auto started = std::async(std::launch::async, [&] { rig.service->start(stop.get_token()); });
  REQUIRE(eventually(rig.clock, 0s, [&] {
    std::lock_guard lock(rig.heard.mutex);
    return rig.heard.still_pending;
  }));
  {
    std::lock_guard lock(rig.heard.mutex);
    CHECK(rig.heard.announced.has_value());  // announced before the answer
  }
  CHECK(started.wait_for(20ms) == std::future_status::timeout);
  transport->release();
  CHECK(started.wait_for(4s) == std::future_status::ready);
  CHECK_NOTHROW(started.get());
}

TEST_CASE("serve service: a client that comes during the first CreateSession gets its answer") {
  // As under socket activation, where the first client's connection starts serve: it waits in
  // the listen backlog for the first CreateSession rather than get a 503 it must retry.
  serve::ServeOptions options = loopback_any_port();
  options.announce_after = 30s;
  auto held = std::make_unique<HeldTransport>(
      created("ASIAEARLYBIRD", std::chrono::system_clock::now() + 1h));
  HeldTransport* transport = held.get();
  Rig rig(std::move(held), options);
  const std::string base = without_slash(rig.service->endpoint().metadata_url);
  std::stop_source stop;
  auto started = std::async(std::launch::async, [&] { rig.service->start(stop.get_token()); });
  auto client = std::async(std::launch::async, [&] {
    const HttpResponse token = endpoint_request(base, "PUT", "/latest/api/token",
                                                {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}});
    return endpoint_request(base, "GET", "/latest/meta-data/iam/security-credentials/Workload",
                            {{"x-aws-ec2-metadata-token", token.body}});
  });
  CHECK(client.wait_for(300ms) == std::future_status::timeout);  // no early 503
  transport->release();
  REQUIRE(client.wait_for(5s) == std::future_status::ready);
  const HttpResponse credentials = client.get();
  CHECK(credentials.status == 200);
  CHECK(credentials.body.find("\"AccessKeyId\":\"ASIAEARLYBIRD\"") != std::string::npos);
  CHECK(started.wait_for(4s) == std::future_status::ready);
  CHECK_NOTHROW(started.get());
  rig.service->shutdown(0ms);
}

TEST_CASE("serve service: a failed refresh is said with what clients keep, then the recovery") {
  const TimePoint now = std::chrono::system_clock::now();
  Rig rig({created("ASIAFIRST", now + 1h)});
  std::stop_source stop;
  REQUIRE(rig.start_while_advancing(0s, stop) == nullptr);
  // The refresh comes due; CreateSession itself tries three times before it counts as failed.
  rig.transport->then(
      {unreachable(), unreachable(), unreachable(), created("ASIASECOND", now + 2h)});
  rig.clock.advance(56min);
  REQUIRE(eventually(rig.clock, 0s, [&] {
    std::lock_guard lock(rig.heard.mutex);
    return !rig.heard.failures.empty();
  }));
  {
    std::lock_guard lock(rig.heard.mutex);
    const FailureReport& report = rig.heard.failures[0];
    CHECK_FALSE(report.failure.permanent);
    CHECK(report.failure.message.find("connection refused") != std::string::npos);
    REQUIRE(report.still_valid_until.has_value());  // clients keep the first credentials
    CHECK(report.failure.next_attempt > rig.clock.now());
  }
  REQUIRE(eventually(rig.clock, 1s, [&] {
    std::lock_guard lock(rig.heard.mutex);
    return !rig.heard.recovered.empty();
  }));
  std::lock_guard lock(rig.heard.mutex);
  CHECK(rig.heard.recovered == std::vector<std::string>{"ASIASECOND"});
}
