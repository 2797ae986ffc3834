// FleetService (serve --config's library part) end to end in one process: real providers signing
// with the test PKI, an in-process emulator as Roles Anywhere, and clients talking HTTP to the
// fleet's endpoint on loopback. The names start with "serve fleet" so that
// scripts/sanitize.sh thread runs them under ThreadSanitizer.
#include "test_emulator_support.hpp"
#include "test_identity_fixtures.hpp"
#include "test_service_fixtures.hpp"

#include "emulator/emulator_server.hpp"
#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/serve_fleet.hpp"
#include "rolesanywhere/session.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace rolesanywhere;
using namespace std::chrono_literals;
namespace emulator = rolesanywhere::emulator;
using service_test::endpoint_request;

namespace {

using Names = std::vector<std::string>;

constexpr const char* kUnservedRoleArn = "arn:aws:iam::123456789012:role/NotServedHere";

// The emulator on a free port, serving its default ARNs with the test root CA as trust anchor.
// Several bindings' first CreateSessions reach it at once (the emulator verifies each against
// its own copy of the trust anchor: a shared X509's lazy caches would be a race).
struct Emulator {
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
  std::uint64_t sessions_issued() const { return server.stats().sessions_issued; }

  emulator::EmulatorServer server{emulator_test::test_config(), {}};
};

// What the fleet said, from whichever thread said it.
struct Heard {
  mutable std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> left_out;  // binding, reason
  std::vector<serve::BindingEndpoint> serving;

  std::vector<std::pair<std::string, std::string>> left_out_copy() const {
    const std::lock_guard lock(mutex);
    return left_out;
  }
  std::vector<serve::BindingEndpoint> serving_copy() const {
    const std::lock_guard lock(mutex);
    return serving;
  }
};

serve::ServeOptions loopback_any_port() {
  serve::ServeOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  // apply() returns once every binding has its outcome: a long wait costs a passing run nothing,
  // and under the sanitizers a first CreateSession can take longer than the 2 s default (the
  // tests about a pending binding set a short one of their own).
  options.announce_after = std::chrono::seconds(60);
  return options;
}

// A fleet on 127.0.0.1 and a port of the system's choosing; not answering until start().
struct Fleet {
  explicit Fleet(serve::ServeOptions options = loopback_any_port()) {
    serve::ServeListener listener(std::move(options));
    base_url = listener.endpoint().metadata_url;
    base_url.pop_back();  // "http://127.0.0.1:PORT"
    serve::FleetEvents events;
    events.left_out = [this](const std::string& binding, const std::string& reason) {
      const std::lock_guard lock(heard.mutex);
      heard.left_out.emplace_back(binding, reason);
    };
    events.serving = [this](const serve::BindingEndpoint& binding) {
      const std::lock_guard lock(heard.mutex);
      heard.serving.push_back(binding);
    };
    service = std::make_unique<serve::FleetService>(std::move(listener), clock, std::move(events));
  }

  serve::FleetChanges apply(std::vector<serve::BindingConfig> bindings) {
    return service->apply(std::move(bindings), std::stop_token{});
  }

  SystemClock clock;
  Heard heard;
  std::string base_url;
  std::unique_ptr<serve::FleetService> service;
};

// Unique per test case: every case of the process shares one scratch directory.
std::string token_file(const std::string& test, const std::string& binding) {
  return identity_test::scratch("fleet-" + test + "-" + binding + ".token");
}

// A token file holding `token`, written afresh.
std::string token_file_with(const std::string& test, const std::string& binding,
                            const std::string& token) {
  return identity_test::write_file("fleet-" + test + "-" + binding + ".token", token + "\n");
}

// A binding of the test PKI's rsa2048 identity and the emulator's role, unless told otherwise.
struct BindingSpec {
  BindingSpec(std::string name_in, std::string token_file_in)
      : name(std::move(name_in)), token_file(std::move(token_file_in)) {}
  BindingSpec& key(std::string kind) {
    key_kind = std::move(kind);
    return *this;
  }
  BindingSpec& role(std::string arn) {
    role_arn = std::move(arn);
    return *this;
  }
  // Another value makes another fingerprint: a changed binding.
  BindingSpec& revised(std::string value) {
    version = std::move(value);
    return *this;
  }
  BindingSpec& answering_imds() {
    imds = true;
    return *this;
  }
  BindingSpec& at(std::string path) {
    container_path = std::move(path);
    return *this;
  }

  std::string name;
  std::string token_file;
  std::string key_kind = "rsa2048";  // the test PKI's rsa2048 or p256 files
  std::string role_arn = emulator::kDefaultRoleArn;
  std::string version = "1";
  bool imds = false;
  std::string container_path;  // default: /v1/credentials/<name>
};

serve::BindingConfig binding(const Emulator& emulator, const BindingSpec& spec) {
  serve::BindingConfig config;
  config.name = spec.name;
  config.fingerprint = spec.name + "|" + spec.key_kind + "|" + spec.role_arn + "|" + spec.version +
                       "|" + spec.token_file + (spec.imds ? "|imds" : "");
  config.provider.identity.certificate = identity_test::pki(spec.key_kind + ".crt.pem");
  config.provider.identity.private_key = identity_test::pki(spec.key_kind + ".key.pem");
  config.provider.identity.intermediates = identity_test::pki("intermediates.pem");
  config.provider.session.trust_anchor_arn = emulator::kDefaultTrustAnchorArn;
  config.provider.session.profile_arn = emulator::kDefaultProfileArn;
  config.provider.session.role_arn = spec.role_arn;
  config.provider.session.endpoint = emulator.url();
  config.container_path =
      spec.container_path.empty() ? "/v1/credentials/" + spec.name : spec.container_path;
  config.container_token_file = spec.token_file;
  config.imds = spec.imds;
  return config;
}

HttpResponse container_get(const Fleet& fleet, const std::string& path, const std::string& token) {
  return endpoint_request(fleet.base_url, "GET", path, {{"Authorization", token}});
}

// The AccessKeyId of a container credentials answer; empty when it holds none.
std::string access_key_of(const HttpResponse& answer) {
  const auto body = nlohmann::json::parse(answer.body, nullptr, false);
  if (!body.is_object() || !body.contains("AccessKeyId")) return {};
  return body["AccessKeyId"].get<std::string>();
}

// The key served on `path` to `token`, after checking the answer is 200.
std::string served_key(const Fleet& fleet, const std::string& path, const std::string& token) {
  const HttpResponse answer = container_get(fleet, path, token);
  CHECK_MESSAGE(answer.status == 200, path, ": ", answer.body);
  const std::string key = access_key_of(answer);
  CHECK_MESSAGE(key.starts_with("ASIA"), path, ": ", answer.body);
  return key;
}

struct Health {
  long status = 0;
  std::map<std::string, std::string> bindings;  // name -> "ok", "pending", "expired"
};

Health health(const Fleet& fleet) {
  const HttpResponse answer = endpoint_request(fleet.base_url, "GET", "/healthz");
  Health health;
  health.status = answer.status;
  const auto body = nlohmann::json::parse(answer.body, nullptr, false);
  REQUIRE_MESSAGE(body.is_object(), answer.body);
  for (const auto& entry : body["bindings"])
    health.bindings[entry["name"].get<std::string>()] = entry["status"].get<std::string>();
  return health;
}

Names names_of(const std::map<std::string, std::string>& bindings) {
  Names names;
  for (const auto& entry : bindings) names.push_back(entry.first);
  return names;
}

Names left_out_names(const Heard& heard) {
  Names names;
  for (const auto& entry : heard.left_out_copy()) names.push_back(entry.first);
  return names;
}

// The kind of the Error `apply` threw, or nothing when it threw none.
std::optional<Error::Kind> apply_error(Fleet& fleet, std::vector<serve::BindingConfig> bindings) {
  try {
    fleet.apply(std::move(bindings));
  } catch (const Error& error) {
    return error.kind();
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("serve fleet: each binding is served behind its own token, a refused one is left out") {
  Emulator emulator;
  const std::string token_a = "token-of-binding-a-0123456789";
  const std::string token_b = "token-of-binding-b-0123456789";
  const std::string token_c = "token-of-binding-c-0123456789";
  Fleet fleet;
  // a and b name the same certificate and key (one shared identity); c asks for a role the
  // emulator does not serve, so its first CreateSession is refused.
  const serve::FleetChanges changes = fleet.apply({
      binding(emulator, {"a", token_file_with("first", "a", token_a)}),
      binding(emulator, BindingSpec("b", token_file_with("first", "b", token_b)).answering_imds()),
      binding(emulator, BindingSpec("c", token_file_with("first", "c", token_c))
                            .key("p256")
                            .role(kUnservedRoleArn)),
  });
  CHECK(changes.added == Names{"a", "b"});  // those that started
  CHECK(changes.left_out == Names{"c"});
  CHECK(changes.changed.empty());
  CHECK(changes.removed.empty());
  CHECK(changes.unchanged.empty());
  const auto left_out = fleet.heard.left_out_copy();
  REQUIRE(left_out.size() == 1);
  CHECK(left_out[0].first == "c");
  CHECK_MESSAGE(left_out[0].second.find("NotServedHere") != std::string::npos, left_out[0].second);
  CHECK(fleet.service->size() == 2);
  CHECK(emulator.sessions_issued() == 2);

  fleet.service->start_answering();
  {
    const auto serving = fleet.heard.serving_copy();
    REQUIRE(serving.size() == 2);
    CHECK(serving[0].name == "a");
    CHECK(serving[0].container_url == fleet.base_url + "/v1/credentials/a");
    CHECK_FALSE(serving[0].metadata_url.has_value());
    CHECK(serving[1].name == "b");
    CHECK(serving[1].metadata_url == fleet.base_url + "/");
  }

  const std::string key_a = served_key(fleet, "/v1/credentials/a", token_a);
  const std::string key_b = served_key(fleet, "/v1/credentials/b", token_b);
  CHECK(key_a != key_b);
  CHECK(container_get(fleet, "/v1/credentials/a", token_b).status == 401);
  CHECK(container_get(fleet, "/v1/credentials/b", token_a).status == 401);
  CHECK(container_get(fleet, "/v1/credentials/c", token_c).status == 404);

  const Health probe = health(fleet);
  CHECK(probe.status == 200);
  CHECK(names_of(probe.bindings) == Names{"a", "b"});

  // b answers the IMDSv2 paths, with its own credentials.
  const HttpResponse imds_token = endpoint_request(
      fleet.base_url, "PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}});
  REQUIRE(imds_token.status == 200);
  const HttpHeader with_token{"x-aws-ec2-metadata-token", imds_token.body};
  const HttpResponse role = endpoint_request(
      fleet.base_url, "GET", "/latest/meta-data/iam/security-credentials/", {with_token});
  CHECK(role.status == 200);
  CHECK(role.body == "EmulatorRole");
  const HttpResponse imds_credentials =
      endpoint_request(fleet.base_url, "GET",
                       "/latest/meta-data/iam/security-credentials/EmulatorRole", {with_token});
  CHECK(imds_credentials.status == 200);
  CHECK(access_key_of(imds_credentials) == key_b);
  fleet.service->shutdown(0ms);
}

TEST_CASE("serve fleet: without an IMDS binding the IMDS paths answer 404") {
  Emulator emulator;
  const std::string token = "token-of-binding-only-0123456789";
  Fleet fleet;
  const serve::FleetChanges changes =
      fleet.apply({binding(emulator, {"only", token_file_with("no-imds", "only", token)})});
  CHECK(changes.added == Names{"only"});
  CHECK(changes.left_out.empty());
  fleet.service->start_answering();
  served_key(fleet, "/v1/credentials/only", token);
  CHECK(endpoint_request(fleet.base_url, "PUT", "/latest/api/token",
                         {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}})
            .status == 404);
  CHECK(endpoint_request(fleet.base_url, "GET", "/latest/meta-data/iam/security-credentials/")
            .status == 404);
  CHECK(endpoint_request(fleet.base_url, "GET", "/v1/credentials/other", {{"Authorization", token}})
            .status == 404);
}

TEST_CASE("serve fleet: apply again keeps the unchanged, restarts the changed, drops the removed") {
  Emulator emulator;
  const std::string token_a = "token-of-binding-a-reload-0123";
  const std::string token_b = "token-of-binding-b-reload-0123";
  const std::string token_c = "token-of-binding-c-reload-0123";
  const std::string token_d = "token-of-binding-d-reload-0123";
  const BindingSpec a{"a", token_file_with("reload", "a", token_a)};
  BindingSpec b{"b", token_file_with("reload", "b", token_b)};
  const BindingSpec c = BindingSpec("c", token_file_with("reload", "c", token_c)).key("p256");
  const BindingSpec d = BindingSpec("d", token_file_with("reload", "d", token_d)).key("p256");
  Fleet fleet;
  const serve::FleetChanges first =
      fleet.apply({binding(emulator, a), binding(emulator, b), binding(emulator, c)});
  REQUIRE(first.added == Names{"a", "b", "c"});
  REQUIRE(first.left_out.empty());
  fleet.service->start_answering();
  const std::string key_a = served_key(fleet, "/v1/credentials/a", token_a);
  const std::string key_b = served_key(fleet, "/v1/credentials/b", token_b);
  served_key(fleet, "/v1/credentials/c", token_c);
  const std::uint64_t sessions_before = emulator.sessions_issued();
  CHECK(sessions_before == 3);

  b.revised("2");  // say, another session duration: a new fingerprint
  const serve::FleetChanges second =
      fleet.apply({binding(emulator, a), binding(emulator, b), binding(emulator, d)});
  CHECK(second.unchanged == Names{"a"});
  CHECK(second.changed == Names{"b"});
  CHECK(second.removed == Names{"c"});
  CHECK(second.added == Names{"d"});
  CHECK(second.left_out.empty());
  CHECK(fleet.service->size() == 3);
  // Only the changed and the added one asked for a session.
  CHECK(emulator.sessions_issued() == sessions_before + 2);

  CHECK(served_key(fleet, "/v1/credentials/a", token_a) == key_a);
  const std::string new_key_b = served_key(fleet, "/v1/credentials/b", token_b);
  CHECK(new_key_b != key_b);
  CHECK(container_get(fleet, "/v1/credentials/c", token_c).status == 404);
  served_key(fleet, "/v1/credentials/d", token_d);
  CHECK(names_of(health(fleet).bindings) == Names{"a", "b", "d"});
  // Announced: the three of the first set when the endpoint opened, then the restarted b and the
  // new d; never the unchanged a again.
  Names announced;
  for (const auto& served : fleet.heard.serving_copy()) announced.push_back(served.name);
  CHECK(announced == Names{"a", "b", "c", "b", "d"});
}

TEST_CASE("serve fleet: a configuration that cannot be served as a whole changes nothing") {
  Emulator emulator;
  const std::string token_a = "token-of-binding-a-invalid-012";
  const std::string token_b = "token-of-binding-b-invalid-012";
  const BindingSpec a{"a", token_file_with("invalid", "a", token_a)};
  const BindingSpec b =
      BindingSpec("b", token_file_with("invalid", "b", token_b)).key("p256").answering_imds();
  Fleet fleet;
  REQUIRE(fleet.apply({binding(emulator, a), binding(emulator, b)}).left_out.empty());
  fleet.service->start_answering();
  const std::string key_a = served_key(fleet, "/v1/credentials/a", token_a);
  const std::string key_b = served_key(fleet, "/v1/credentials/b", token_b);
  const std::uint64_t sessions_before = emulator.sessions_issued();

  // Each bad set also holds a new binding "x" whose token file does not exist yet: refusing the
  // whole set must not even create it.
  const std::string x_token_file = token_file("invalid", "x");
  std::filesystem::remove(x_token_file);
  const auto x = [&] { return BindingSpec("x", x_token_file); };
  const auto config = [&](const BindingSpec& spec) { return binding(emulator, spec); };
  BindingSpec changed_a = a;
  changed_a.revised("2");  // would restart a if the set were taken
  const std::vector<std::pair<const char*, std::vector<serve::BindingConfig>>> bad_sets = {
      {"two named a", {config(changed_a), config(BindingSpec("a", x_token_file).at("/v1/x"))}},
      {"same path", {config(changed_a), config(x().at("/v1/credentials/a"))}},
      {"same path but a slash", {config(changed_a), config(x().at("/v1/credentials/a/"))}},
      {"same token file", {config(changed_a), config(BindingSpec("x", a.token_file))}},
      {"two IMDS", {config(changed_a), config(b), config(x().answering_imds())}},
      {"the health path", {config(changed_a), config(x().at("/healthz"))}},
      {"under /latest/", {config(changed_a), config(x().at("/latest/x"))}},
  };
  for (const auto& bad : bad_sets) {
    CAPTURE(bad.first);
    CHECK(apply_error(fleet, bad.second) == Error::Kind::kInvalidArgument);
    CHECK(fleet.service->size() == 2);
    CHECK_FALSE(std::filesystem::exists(x_token_file));
  }
  CHECK(emulator.sessions_issued() == sessions_before);
  CHECK(fleet.heard.left_out_copy().empty());
  CHECK(served_key(fleet, "/v1/credentials/a", token_a) == key_a);
  CHECK(served_key(fleet, "/v1/credentials/b", token_b) == key_b);
  CHECK(endpoint_request(fleet.base_url, "PUT", "/latest/api/token",
                         {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}})
            .status == 200);
  CHECK(names_of(health(fleet).bindings) == Names{"a", "b"});
}

TEST_CASE("serve fleet: a binding added with a running binding's token is left out") {
  Emulator emulator;
  const std::string token = "one-token-for-two-files-012345";
  Fleet fleet;
  REQUIRE(fleet.apply({binding(emulator, {"a", token_file_with("shared-later", "a", token)})})
              .left_out.empty());
  const serve::FleetChanges changes = fleet.apply({
      binding(emulator, {"a", token_file_with("shared-later", "a", token)}),
      binding(emulator, {"b", token_file_with("shared-later", "b", token)}),
  });
  CHECK(changes.unchanged == Names{"a"});
  CHECK(changes.added.empty());
  CHECK(changes.left_out == Names{"b"});
  CHECK(left_out_names(fleet.heard) == Names{"b"});
  CHECK(fleet.service->size() == 1);
  fleet.service->start_answering();
  served_key(fleet, "/v1/credentials/a", token);
  CHECK(container_get(fleet, "/v1/credentials/b", token).status == 404);
}

// Two new bindings with one token: the later is left out (this once crashed: the check erased a
// binding while holding a reference into the same list).
TEST_CASE("serve fleet: two new token files holding the same token: the second is left out") {
  Emulator emulator;
  const std::string token = "one-token-for-two-files-678901";
  Fleet fleet;
  const serve::FleetChanges changes = fleet.apply({
      binding(emulator, {"a", token_file_with("shared", "a", token)}),
      binding(emulator, {"b", token_file_with("shared", "b", token)}),
  });
  CHECK(changes.added == Names{"a"});
  CHECK(changes.left_out.size() == 1);
  CHECK(fleet.service->size() == 1);
  const auto left_out = fleet.heard.left_out_copy();
  REQUIRE(left_out.size() == 1);
  CHECK(left_out[0].second.find("same token as binding 'a': each binding needs its own") !=
        std::string::npos);
  CHECK(changes.left_out == Names{"b"});
  fleet.service->start_answering();
  CHECK(container_get(fleet, "/v1/credentials/a", token).status == 200);
  CHECK(container_get(fleet, "/v1/credentials/b", token).status == 404);
}

TEST_CASE("serve fleet: a new binding listed before a running one with its token is left out") {
  Emulator emulator;
  const std::string token = "one-token-running-and-new-78901";
  Fleet fleet;
  REQUIRE(fleet.apply({binding(emulator, {"a", token_file_with("shared-before", "a", token)})})
              .left_out.empty());
  const serve::FleetChanges changes = fleet.apply({
      binding(emulator, {"b", token_file_with("shared-before", "b", token)}),
      binding(emulator, {"a", token_file_with("shared-before", "a", token)}),
  });
  CHECK(changes.unchanged == Names{"a"});
  CHECK(changes.left_out == Names{"b"});
  CHECK(fleet.service->size() == 1);
}

TEST_CASE("serve fleet: requests while the set is swapped and the service destroyed") {
  Emulator emulator;
  const std::map<std::string, std::string> tokens = {
      {"a", "token-of-binding-a-concurrent-0"},
      {"b", "token-of-binding-b-concurrent-0"},
      {"c", "token-of-binding-c-concurrent-0"},
  };
  std::map<std::string, std::string> files;
  for (const auto& entry : tokens)
    files[entry.first] = token_file_with("concurrent", entry.first, entry.second);
  const auto spec = [&](const std::string& name, const std::string& version, bool imds = false) {
    BindingSpec described(name, files.at(name));
    described.key(name == "b" ? "p256" : "rsa2048").revised(version);
    if (imds) described.answering_imds();
    return binding(emulator, described);
  };

  auto fleet = std::make_unique<Fleet>();
  REQUIRE(fleet->apply({spec("a", "1", true), spec("b", "1")}).left_out.empty());
  fleet->service->start_answering();
  const std::string base_url = fleet->base_url;

  std::atomic<bool> destroying{false};
  std::atomic<bool> done{false};
  std::mutex seen_mutex;
  std::map<long, int> statuses;
  std::vector<std::string> unexpected;  // transport errors before the destruction began
  const auto client = [&](int which) {
    const std::vector<std::string> paths = {"/v1/credentials/a", "/v1/credentials/b",
                                            "/v1/credentials/c", "/healthz", "/latest/api/token"};
    for (std::size_t i = static_cast<std::size_t>(which); !done.load(); ++i) {
      const std::string& path = paths[i % paths.size()];
      const std::string owner = path.substr(path.size() - 1);
      // Now and then the wrong binding's token, for a 401.
      const std::string token = tokens.count(owner) ? tokens.at(i % 7 == 0 ? "a" : owner) : "";
      try {
        const HttpResponse answer =
            path == "/latest/api/token"
                ? endpoint_request(base_url, "PUT", path,
                                   {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}})
                : endpoint_request(base_url, "GET", path, {{"Authorization", token}});
        const std::lock_guard lock(seen_mutex);
        ++statuses[answer.status];
      } catch (const Error& error) {
        if (destroying.load()) continue;  // the endpoint is closing
        const std::lock_guard lock(seen_mutex);
        unexpected.push_back(path + ": " + error.what());
      }
    }
  };
  std::vector<std::thread> clients;
  for (int which = 0; which < 3; ++which) clients.emplace_back(client, which);

  // Unchanged, changed, removed and added bindings, several times over.
  const std::vector<std::vector<serve::BindingConfig>> sets = {
      {spec("a", "1", true), spec("b", "2"), spec("c", "1")},
      {spec("b", "2", true), spec("c", "2")},
      {spec("a", "3"), spec("c", "2", true)},
      {spec("a", "3"), spec("b", "4"), spec("c", "3")},
      {spec("a", "5", true), spec("b", "4")},
  };
  for (const auto& set : sets) {
    const serve::FleetChanges changes = fleet->apply(set);
    CHECK(changes.left_out.empty());
    std::this_thread::sleep_for(20ms);  // let some requests see this set
  }
  destroying = true;
  fleet.reset();
  done = true;
  for (auto& thread : clients) thread.join();

  const std::lock_guard lock(seen_mutex);
  std::string failures;
  for (const std::string& failure : unexpected) failures += failure + "\n";
  CHECK_MESSAGE(unexpected.empty(), failures);
  int answered = 0;
  for (const auto& entry : statuses) {
    CAPTURE(entry.first);
    CHECK((entry.first == 200 || entry.first == 401 || entry.first == 404 || entry.first == 503));
    answered += entry.second;
  }
  CHECK(statuses[200] > 0);  // the clients did get credentials meanwhile
  MESSAGE("answers: ", answered);
}

TEST_CASE("serve fleet: a binding still pending at announce_after answers 503 until it is served") {
  Emulator emulator;
  emulator::FaultPlan plan;
  plan.delay_ms = 3'000;  // far past announce_after
  emulator.server.faults().replace(plan);
  serve::ServeOptions options = loopback_any_port();
  options.announce_after = 200ms;
  const std::string token = "token-of-binding-slow-012345678";
  Fleet fleet(options);
  const serve::FleetChanges changes =
      fleet.apply({binding(emulator, {"slow", token_file_with("pending", "slow", token)})});
  CHECK(changes.added == Names{"slow"});
  CHECK(changes.left_out.empty());
  CHECK(fleet.service->size() == 1);
  fleet.service->start_answering();

  const HttpResponse early = container_get(fleet, "/v1/credentials/slow", token);
  CHECK_MESSAGE(early.status == 503, early.body);
  const Health pending = health(fleet);
  CHECK(pending.status == 503);
  CHECK(pending.bindings == std::map<std::string, std::string>{{"slow", "pending"}});

  HttpResponse later;
  for (int i = 0; i < 200; ++i) {
    later = container_get(fleet, "/v1/credentials/slow", token);
    if (later.status != 503) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK_MESSAGE(later.status == 200, later.body);
  CHECK(access_key_of(later).starts_with("ASIA"));
  const Health served = health(fleet);
  CHECK(served.status == 200);
  CHECK(served.bindings == std::map<std::string, std::string>{{"slow", "ok"}});
  CHECK(fleet.heard.left_out_copy().empty());
}

TEST_CASE("serve fleet: a change that cannot start keeps the running binding with its settings") {
  Emulator emulator;
  const std::string token = "token-of-binding-kept-01234567";
  const std::string file = token_file_with("kept", "a", token);
  Fleet fleet;
  REQUIRE(fleet.apply({binding(emulator, {"a", file})}).left_out.empty());
  fleet.service->start_answering();
  const std::string before = served_key(fleet, "/v1/credentials/a", token);

  // The reload names a role the service refuses: the role would be lost if the change won.
  const serve::FleetChanges changes =
      fleet.apply({binding(emulator, BindingSpec("a", file).role(kUnservedRoleArn).revised("2"))});
  CHECK(changes.left_out == Names{"a"});
  CHECK(changes.changed.empty());
  CHECK(changes.removed.empty());
  const auto left_out = fleet.heard.left_out_copy();
  REQUIRE(left_out.size() == 1);
  CHECK(left_out[0].second.find("the running 'a' keeps its previous settings") !=
        std::string::npos);
  CHECK(fleet.service->size() == 1);
  CHECK(served_key(fleet, "/v1/credentials/a", token) == before);

  // A binding that moves to another path cannot stand in for its change: it is gone.
  fleet.apply({binding(
      emulator, BindingSpec("a", file).role(kUnservedRoleArn).revised("3").at("/v1/elsewhere"))});
  CHECK(fleet.service->size() == 0);
  CHECK(container_get(fleet, "/v1/credentials/a", token).status == 404);
}

TEST_CASE("serve fleet: a token rotated in its file restarts the binding at the next apply") {
  Emulator emulator;
  const std::string old_token = "token-before-rotation-01234567";
  const std::string new_token = "token-after-rotation-765432100";
  Fleet fleet;
  const auto config = [&] { return binding(emulator, {"a", token_file("rotated", "a")}); };
  token_file_with("rotated", "a", old_token);
  REQUIRE(fleet.apply({config()}).left_out.empty());
  fleet.service->start_answering();
  served_key(fleet, "/v1/credentials/a", old_token);

  token_file_with("rotated", "a", new_token);
  const serve::FleetChanges changes = fleet.apply({config()});
  CHECK(changes.changed == Names{"a"});
  CHECK(changes.unchanged.empty());
  served_key(fleet, "/v1/credentials/a", new_token);
  CHECK(container_get(fleet, "/v1/credentials/a", old_token).status == 401);
}

TEST_CASE("serve fleet: a binding whose refresh loop ended is started again by the next apply") {
  Emulator emulator;
  // Refused only after the announcement: a slow answer first, then the refusal ends the loop.
  emulator::FaultPlan plan;
  plan.delay_ms = 600;
  plan.refuse_roles = {emulator::kDefaultRoleArn};
  emulator.server.faults().replace(plan);
  serve::ServeOptions options = loopback_any_port();
  options.announce_after = 100ms;
  const std::string token = "token-of-binding-ended-0123456";
  Fleet fleet(options);
  const auto config = [&] {
    return binding(emulator, {"a", token_file_with("ended", "a", token)});
  };
  REQUIRE(fleet.apply({config()}).left_out.empty());
  fleet.service->start_answering();
  for (int i = 0; i < 100 && fleet.heard.left_out_copy().empty(); ++i)
    std::this_thread::sleep_for(50ms);
  REQUIRE(left_out_names(fleet.heard) == Names{"a"});  // reported by the binding's own thread
  CHECK(container_get(fleet, "/v1/credentials/a", token).status == 503);

  emulator.server.faults().replace({});  // the operator fixed the role's trust policy
  const serve::FleetChanges changes = fleet.apply({config()});
  CHECK(changes.changed == Names{"a"});
  served_key(fleet, "/v1/credentials/a", token);
}

// A loop that ignores the stop (a signature a token holds) makes stop_refreshes false and does not
// hold up a reload: tests/e2e/test_pkcs11_sign_held.sh, with a module that holds signatures.
TEST_CASE("serve fleet: stop_refreshes cancels CreateSessions in flight and waits for every loop") {
  Emulator emulator;
  serve::ServeOptions options = loopback_any_port();
  options.announce_after = 200ms;
  Fleet fleet(options);
  const auto idle = binding(emulator, {"idle", token_file("stopping", "idle")});
  REQUIRE(fleet.apply({idle}).added == Names{"idle"});
  // Every later CreateSession hangs in the emulator for 5 s: "busy" is announced while its first
  // one is in flight, then replaced by "other", which leaves busy retiring mid-CreateSession.
  emulator::FaultPlan plan;
  plan.delay_ms = 5'000;
  emulator.server.faults().replace(plan);
  const auto busy = binding(emulator, {"busy", token_file("stopping", "busy")});
  REQUIRE(fleet.apply({idle, busy}).added == Names{"busy"});
  auto started_at = std::chrono::steady_clock::now();
  const serve::FleetChanges removed = fleet.apply({idle});
  CHECK(removed.removed == Names{"busy"});
  CHECK(std::chrono::steady_clock::now() - started_at < 2s);  // not the emulator's 5 s
  // idle's loop sleeps, busy's CreateSession is cancelled: both end well before the emulator
  // would have answered.
  started_at = std::chrono::steady_clock::now();
  CHECK(fleet.service->stop_refreshes(10s));
  CHECK(std::chrono::steady_clock::now() - started_at < 4s);
}
