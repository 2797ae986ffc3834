// UpdateService without a process: what it writes and when, how a refusal ends it, and how
// credentials that could not be written are kept for the next attempt. A scripted transport
// stands in for the service, a FixedClock for time; the credentials file is a real one.
#include "test_identity_fixtures.hpp"
#include "test_service_fixtures.hpp"

#include "rolesanywhere/update.hpp"

#include "test_temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

using namespace rolesanywhere;
using namespace service_test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test_support::slurp;
using test_support::TempDir;

namespace {

bool holds_key(const fs::path& file, const std::string& access_key_id) {
  return slurp(file).find("aws_access_key_id = " + access_key_id) != std::string::npos;
}

RefreshPolicy quick_policy() {
  RefreshPolicy policy;
  policy.max_jitter = 0s;
  policy.first_retry = 10ms;
  policy.max_retry = 60'000ms;
  policy.max_sleep_slice = 2ms;
  policy.min_refresh_interval = 0ms;
  return policy;
}

// What the events said, from the refreshing thread.
struct Heard {
  std::mutex mutex;
  std::vector<std::string> written;  // access key ids
  std::vector<TimePoint> refresh_by;
  std::vector<RefreshFailure> first_failures;
  std::vector<FailureReport> failures;

  std::size_t count(const std::vector<std::string>& list) {
    std::lock_guard lock(mutex);
    return list.size();
  }
};

struct Rig {
  explicit Rig(std::vector<ScriptedTransport::Step> script, bool retry_errors = false) {
    auto scripted = std::make_unique<ScriptedTransport>(std::move(script));
    transport = scripted.get();
    IdentitySource source;
    source.certificate = identity_test::pki("p256.crt.pem");
    source.private_key = identity_test::pki("p256.key.pem");
    provider = make_provider(source, clock, std::move(scripted));
    options.file = dir.path / "credentials";
    options.profile = "default";
    options.retry_errors = retry_errors;
    options.policy = quick_policy();
    update::UpdateEvents events;
    events.written = [this](const Credentials& credentials, TimePoint refresh_by) {
      std::lock_guard lock(heard.mutex);
      heard.written.push_back(credentials.access_key_id);
      heard.refresh_by.push_back(refresh_by);
    };
    events.first_attempt_failed = [this](const RefreshFailure& failure) {
      std::lock_guard lock(heard.mutex);
      heard.first_failures.push_back(failure);
    };
    events.failed = [this](const FailureReport& report) {
      std::lock_guard lock(heard.mutex);
      heard.failures.push_back(report);
    };
    service = std::make_unique<update::UpdateService>(options, *provider, clock, events);
  }

  // Runs the service on its own thread until stop() or its own end.
  void start() {
    thread = std::jthread([this](std::stop_token stop) {
      service->run(stop);
      ended = true;
    });
  }
  void stop() {
    thread.request_stop();
    thread.join();
  }

  const TimePoint start_time = std::chrono::system_clock::now();
  FixedClock clock{start_time};
  TempDir dir;
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<RolesAnywhereProvider> provider;
  update::UpdateServiceOptions options;
  Heard heard;
  std::unique_ptr<update::UpdateService> service;
  std::atomic<bool> ended{false};
  std::jthread thread;  // last: joined before what it uses is destroyed
};

// Runs the service until the first write, then puts a directory where the file was and moves
// the clock to the refresh: that refresh's CreateSession succeeds and its write fails.
void write_first_then_fail_the_refresh(Rig& rig) {
  rig.start();
  REQUIRE(eventually(rig.clock, 0s, [&] { return rig.heard.count(rig.heard.written) == 1; }));
  fs::remove(rig.options.file);
  fs::create_directory(rig.options.file);
  rig.clock.advance(56min);
  REQUIRE(eventually(rig.clock, 0s, [&] {
    std::lock_guard lock(rig.heard.mutex);
    return !rig.heard.failures.empty();
  }));
}

}  // namespace

TEST_CASE("update service: once writes the profile; a refusal writes nothing") {
  SUBCASE("written") {
    Rig rig({created("ASIAONCE", std::chrono::system_clock::now() + 1h)});
    rig.service->update_once();
    CHECK(holds_key(rig.options.file, "ASIAONCE"));
    CHECK(rig.heard.count(rig.heard.written) == 0);  // no status line for --once
  }
  SUBCASE("refused") {
    Rig rig({refused_by_service()});
    CHECK_THROWS_AS(rig.service->update_once(), ServiceError);
    CHECK_FALSE(fs::exists(rig.options.file));
  }
}

TEST_CASE("update service: running, it writes at once and again before expiry") {
  Rig rig({created("ASIAONE", std::chrono::system_clock::now() + 1h),
           created("ASIATWO", std::chrono::system_clock::now() + 2h)});
  rig.start();
  // The file is written during the first fetch; its outcome is published once it returns.
  REQUIRE(eventually(rig.clock, 0s, [&] {
    return rig.heard.count(rig.heard.written) == 1 &&
           rig.service->first_fetch().outcome() != FirstFetch::Outcome::kPending;
  }));
  CHECK(holds_key(rig.options.file, "ASIAONE"));
  CHECK(rig.service->first_fetch().outcome() == FirstFetch::Outcome::kSucceeded);
  {
    std::lock_guard lock(rig.heard.mutex);
    // Five minutes before expiry, without jitter here; the script's expiry is a second apart
    // from the clock's start at most.
    CHECK(rig.heard.refresh_by[0] - rig.start_time <= 55min + 1s);
    CHECK(rig.heard.refresh_by[0] - rig.start_time >= 55min - 1s);
  }
  rig.clock.advance(50min);
  std::this_thread::sleep_for(20ms);
  CHECK(rig.transport->sent() == 1);  // not due yet
  rig.clock.advance(6min);
  REQUIRE(eventually(rig.clock, 0s, [&] { return rig.heard.count(rig.heard.written) == 2; }));
  CHECK(holds_key(rig.options.file, "ASIATWO"));
  CHECK(rig.transport->sent() == 2);
  rig.stop();
  CHECK(rig.service->written_expiration().has_value());
}

TEST_CASE("update service: a refusal before anything was written ends it with that refusal") {
  Rig rig({refused_by_service()});
  rig.start();
  REQUIRE(eventually(rig.clock, 0s, [&] { return rig.ended.load(); }));
  CHECK(rig.service->first_fetch().outcome() == FirstFetch::Outcome::kRejected);
  CHECK_THROWS_WITH_AS(rig.service->first_fetch().rethrow_rejection(),
                       "AccessDeniedException: Untrusted signing certificate", ServiceError);
  CHECK_FALSE(fs::exists(rig.options.file));
  CHECK(rig.transport->sent() == 1);
}

TEST_CASE("update service: an outage at start is retried, said once, and the profile written") {
  // CreateSession itself tries three times before the attempt counts as failed.
  Rig rig({unreachable(), unreachable(), unreachable(),
           created("ASIALATER", std::chrono::system_clock::now() + 1h)});
  rig.start();
  REQUIRE(eventually(rig.clock, 1s, [&] { return rig.heard.count(rig.heard.written) == 1; }));
  CHECK(holds_key(rig.options.file, "ASIALATER"));
  std::lock_guard lock(rig.heard.mutex);
  REQUIRE(rig.heard.first_failures.size() == 1);
  CHECK_FALSE(rig.heard.first_failures[0].permanent);
  CHECK(rig.heard.failures.empty());
}

TEST_CASE("update service: with retry_errors a refusal at start is retried until it passes") {
  Rig rig({refused_by_service()}, /*retry_errors=*/true);
  rig.start();
  REQUIRE(eventually(rig.clock, 0s, [&] {
    std::lock_guard lock(rig.heard.mutex);
    return rig.heard.first_failures.size() == 1;
  }));
  {
    std::lock_guard lock(rig.heard.mutex);
    CHECK(rig.heard.first_failures[0].permanent);
    CHECK(rig.heard.first_failures[0].refused_by_service);
  }
  rig.transport->then({created("ASIAFIXED", std::chrono::system_clock::now() + 1h)});
  // Refusals are retried at the slowest pace, max_retry (a minute here).
  REQUIRE(eventually(rig.clock, 1s, [&] { return rig.heard.count(rig.heard.written) == 1; }));
  CHECK(holds_key(rig.options.file, "ASIAFIXED"));
  CHECK_FALSE(rig.ended.load());
  rig.stop();
}

TEST_CASE("update service: credentials the file could not take are written later, not fetched") {
  const TimePoint now = std::chrono::system_clock::now();
  Rig rig({created("ASIAONE", now + 1h), created("ASIATWO", now + 3h)});
  write_first_then_fail_the_refresh(rig);
  CHECK(rig.transport->sent() == 2);
  {
    std::lock_guard lock(rig.heard.mutex);
    // The clients still have what was written first.
    REQUIRE(rig.heard.failures[0].still_valid_until.has_value());
    CHECK(*rig.heard.failures[0].still_valid_until <= now + 1h + 1s);
  }
  fs::remove(rig.options.file);
  REQUIRE(eventually(rig.clock, 1s, [&] { return rig.heard.count(rig.heard.written) == 2; }));
  CHECK(holds_key(rig.options.file, "ASIATWO"));
  CHECK(rig.transport->sent() == 2);  // written from the kept credentials
  rig.stop();
}

TEST_CASE("update service: a refresh asked for (SIGHUP) fetches anew instead of the kept ones") {
  const TimePoint now = std::chrono::system_clock::now();
  Rig rig(
      {created("ASIAONE", now + 1h), created("ASIATWO", now + 3h), created("ASIATHREE", now + 3h)});
  write_first_then_fail_the_refresh(rig);
  fs::remove(rig.options.file);
  rig.service->refresh_soon();
  REQUIRE(eventually(rig.clock, 0s, [&] { return rig.heard.count(rig.heard.written) == 2; }));
  CHECK(holds_key(rig.options.file, "ASIATHREE"));
  CHECK(rig.transport->sent() == 3);
  rig.stop();
}
