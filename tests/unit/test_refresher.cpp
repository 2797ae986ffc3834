#include "rolesanywhere/refresher.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

using namespace rolesanywhere;
using namespace std::chrono_literals;

namespace {

const TimePoint kStart = TimePoint{} + std::chrono::hours(24 * 365 * 56);

Credentials credentials_expiring(TimePoint expiration, std::string id) {
  Credentials c;
  c.access_key_id = std::move(id);
  c.secret_access_key = SecretString("secret");
  c.session_token = SecretString("token");
  c.expiration = expiration;
  return c;
}

RefreshPolicy fast_policy() {
  RefreshPolicy policy;
  policy.max_sleep_slice = 1ms;  // the test moves the FixedClock; poll it often
  return policy;
}

// Waits (in real time, bounded) until `condition` holds, moving the fixed clock forward by
// `step` between looks.
template <typename Condition>
bool eventually(FixedClock& clock, std::chrono::seconds step, Condition condition) {
  for (int i = 0; i < 4000; ++i) {
    if (condition()) return true;
    clock.advance(step);
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("refresh time is five minutes before expiry minus up to the jitter") {
  RefreshPolicy policy;
  const TimePoint expiration = kStart + 1h;
  CHECK(next_refresh_time(kStart, expiration, policy, 0.0) == expiration - 300s);
  CHECK(next_refresh_time(kStart, expiration, policy, 0.5) == expiration - 315s);
  CHECK(next_refresh_time(kStart, expiration, policy, 1.0) > expiration - 331s);
  CHECK(next_refresh_time(kStart, expiration, policy, 1.0) <= expiration - 329s);
}

TEST_CASE("a session shorter than the refresh window is refreshed half-way, never in a loop") {
  RefreshPolicy policy;  // 5 minutes before expiry, at least 30 s after they were obtained
  // Four minutes of life (the certificate expires then): due "before" it was even obtained.
  CHECK(next_refresh_time(kStart, kStart + 4min, policy, 0.0) == kStart + 2min);
  // Five minutes and ten seconds: due 10 s after it was obtained, too soon; half-way instead.
  CHECK(next_refresh_time(kStart, kStart + 310s, policy, 0.0) == kStart + 155s);
  // Forty seconds, or already expired: no sooner than min_refresh_interval.
  CHECK(next_refresh_time(kStart, kStart + 40s, policy, 0.0) == kStart + 30s);
  CHECK(next_refresh_time(kStart, kStart - 1s, policy, 0.0) == kStart + 30s);
  // 340 s: five minutes before expiry is 40 s in; jitter would make it too soon, so as soon as
  // allowed rather than half-way.
  CHECK(next_refresh_time(kStart, kStart + 340s, policy, 0.0) == kStart + 40s);
  CHECK(next_refresh_time(kStart, kStart + 340s, policy, 0.5) == kStart + 30s);
  // The test hook's policy turns the guard off: due at once.
  policy.min_refresh_interval = 0ms;
  CHECK(next_refresh_time(kStart, kStart + 4min, policy, 0.0) == kStart - 1min);
}

TEST_CASE("the refresh loop does not spin on credentials that are already due") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  CredentialRefresher refresher(
      [&] {
        ++calls;
        return credentials_expiring(clock.now() + 4min, "K");  // inside the 5-minute window
      },
      clock, fast_policy(), {}, [] { return 0.0; });
  std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
  REQUIRE(eventually(clock, 0s, [&] { return calls == 1; }));
  std::this_thread::sleep_for(50ms);  // the clock stands still: no second fetch may start
  CHECK(calls == 1);
  clock.advance(2min);  // half of the four minutes
  CHECK(eventually(clock, 0s, [&] { return calls == 2; }));
}

TEST_CASE("refresh retry delays grow then cap and are never zero") {
  RefreshPolicy policy;
  policy.first_retry = 1000ms;
  policy.max_retry = 8000ms;
  CHECK(refresh_retry_delay(1, policy, 0.0) == 500ms);
  CHECK(refresh_retry_delay(1, policy, 0.999) < 1000ms);
  CHECK(refresh_retry_delay(2, policy, 0.0) == 1000ms);
  CHECK(refresh_retry_delay(3, policy, 0.0) == 2000ms);
  CHECK(refresh_retry_delay(10, policy, 0.0) == 4000ms);
  CHECK(refresh_retry_delay(10, policy, 0.999) < 8000ms);
  CHECK(refresh_retry_delay(1000, policy, 0.5) <= 8000ms);
}

TEST_CASE("permanent failures are the ones retrying cannot fix") {
  CHECK(is_permanent_failure(ServiceError(403, "AccessDeniedException", "Untrusted")));
  CHECK(is_permanent_failure(Error(Error::Kind::kCrypto, "expired")));
  CHECK_FALSE(is_permanent_failure(ServiceError(503, "ServiceUnavailableException", "")));
  CHECK_FALSE(is_permanent_failure(ServiceError(400, "ThrottlingException", "")));
  CHECK_FALSE(is_permanent_failure(Error(Error::Kind::kTransport, "refused")));
}

TEST_CASE("current credentials are handed out until they expire") {
  FixedClock clock(kStart);
  CredentialRefresher refresher([&] { return credentials_expiring(kStart + 1h, "A"); }, clock);
  CHECK(refresher.current() == nullptr);
  refresher.refresh_now();
  REQUIRE(refresher.current() != nullptr);
  CHECK(refresher.current()->access_key_id == "A");
  clock.set(kStart + 1h);
  CHECK(refresher.current() == nullptr);
}

TEST_CASE("a failed refresh keeps the credentials that are still valid") {
  FixedClock clock(kStart);
  int calls = 0;
  CredentialRefresher refresher(
      [&]() -> Credentials {
        if (++calls == 1) return credentials_expiring(kStart + 1h, "GOOD");
        throw ServiceError(500, "InternalServerException", "down");
      },
      clock);
  refresher.refresh_now();
  CHECK_THROWS_AS(refresher.refresh_now(), ServiceError);
  REQUIRE(refresher.current() != nullptr);
  CHECK(refresher.current()->access_key_id == "GOOD");
  const RefreshStatus status = refresher.status();
  CHECK(status.consecutive_failures == 1);
  REQUIRE(status.last_error);
  CHECK(status.last_error->find("down") != std::string::npos);
}

TEST_CASE("refreshes and failures are counted in totals that a success does not reset") {
  FixedClock clock(kStart);
  int calls = 0;
  CredentialRefresher refresher(
      [&]() -> Credentials {
        switch (++calls) {
          case 2:
            throw ServiceError(500, "InternalServerException", "down");
          case 3:
            throw std::runtime_error("unexpected");
          case 4:
            throw Error(Error::Kind::kCancelled, "stopped");  // a stop, not a failure
          default:
            return credentials_expiring(kStart + 1h, "K");
        }
      },
      clock);
  CHECK(refresher.status().refreshes_total == 0);
  CHECK(refresher.status().failures_total == 0);
  refresher.refresh_now();
  CHECK_THROWS_AS(refresher.refresh_now(), ServiceError);
  CHECK_THROWS_AS(refresher.refresh_now(), Error);
  CHECK_THROWS_AS(refresher.refresh_now(), Error);
  refresher.refresh_now();
  const RefreshStatus status = refresher.status();
  CHECK(status.refreshes_total == 2);
  CHECK(status.failures_total == 2);
  CHECK(status.consecutive_failures == 0);
}

TEST_CASE("the loop refreshes before expiry by the injected clock") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  CredentialRefresher refresher(
      [&] {
        const int n = ++calls;
        return credentials_expiring(clock.now() + 1h, "K" + std::to_string(n));
      },
      clock, fast_policy(), {}, [] { return 0.0; });
  std::atomic<int> written{0};
  TimePoint first_planned{};
  refresher.set_on_refresh([&](const Credentials&, TimePoint next_refresh) {
    if (++written == 1) first_planned = next_refresh;
  });
  refresher.refresh_now();
  // The refresh planned for them is handed over, and it is the one the loop keeps.
  CHECK(first_planned == kStart + 3300s);
  CHECK(refresher.status().next_attempt == kStart + 3300s);
  {
    std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
    std::this_thread::sleep_for(20ms);
    CHECK(calls == 1);     // nothing to do 55 minutes early
    clock.advance(3300s);  // exactly expiry - 5 min
    CHECK(eventually(clock, 0s, [&] { return calls == 2; }));
  }
  CHECK(refresher.current()->access_key_id == "K2");
  CHECK(written == 2);
}

TEST_CASE("a machine that slept past the refresh time refreshes at once on wake") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  CredentialRefresher refresher(
      [&] {
        ++calls;
        return credentials_expiring(clock.now() + 1h, "K");
      },
      clock, fast_policy());
  refresher.refresh_now();
  std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
  clock.advance(2h);  // the wall clock jumps past expiry, as after a suspend
  // The second fetch counted when it began; its credentials are stored when it returns.
  CHECK(eventually(clock, 0s, [&] { return calls == 2 && refresher.current() != nullptr; }));
  CHECK(calls == 2);
}

TEST_CASE("transient failures are retried with backoff and the loop recovers") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  std::vector<bool> permanent_flags;
  std::mutex flags_mutex;
  CredentialRefresher refresher(
      [&]() -> Credentials {
        const int n = ++calls;
        if (n == 2 || n == 3) throw Error(Error::Kind::kTransport, "connection refused");
        return credentials_expiring(clock.now() + 1h, "K" + std::to_string(n));
      },
      clock, fast_policy(), {}, [] { return 0.0; });
  refresher.set_on_failure([&](const RefreshFailure& failure) {
    std::lock_guard lock(flags_mutex);
    permanent_flags.push_back(failure.permanent);
    CHECK(failure.next_attempt > clock.now());
    CHECK(failure.message == "connection refused");
    CHECK_FALSE(failure.refused_by_service);
  });
  refresher.refresh_now();
  std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
  clock.advance(3300s);
  CHECK(eventually(clock, 1s, [&] { return calls >= 4; }));
  loop.request_stop();
  loop.join();
  REQUIRE(refresher.current() != nullptr);
  CHECK(refresher.current()->access_key_id == "K4");
  CHECK(permanent_flags == std::vector<bool>{false, false});
  CHECK(refresher.status().consecutive_failures == 0);
}

TEST_CASE("a permanent rejection is retried at the slowest pace") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  RefreshPolicy policy = fast_policy();
  policy.max_retry = 600'000ms;
  CredentialRefresher refresher(
      [&]() -> Credentials {
        ++calls;
        throw ServiceError(403, "AccessDeniedException", "Untrusted signing certificate");
      },
      clock, policy);
  std::atomic<bool> reported_permanent{false};
  refresher.set_on_failure([&](const RefreshFailure& failure) {
    reported_permanent = failure.permanent && failure.refused_by_service;
    // The error is handed over as thrown: a ServiceError stays one.
    CHECK_THROWS_AS(std::rethrow_exception(failure.error), ServiceError);
  });
  std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
  CHECK(eventually(clock, 0s, [&] { return calls == 1; }));
  CHECK(eventually(clock, 0s, [&] { return reported_permanent.load(); }));
  clock.advance(599s);
  std::this_thread::sleep_for(20ms);
  CHECK(calls == 1);  // not before max_retry
  clock.advance(2s);
  CHECK(eventually(clock, 0s, [&] { return calls == 2; }));
  CHECK(refresher.current() == nullptr);
}

TEST_CASE("refreshes never overlap") {
  FixedClock clock(kStart);
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  CredentialRefresher refresher(
      [&] {
        const int now_inside = ++inside;
        most_inside = std::max(most_inside.load(), now_inside);
        std::this_thread::sleep_for(5ms);
        --inside;
        return credentials_expiring(kStart + 1h, "K");
      },
      clock);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 8; ++i) threads.emplace_back([&] { refresher.refresh_now(); });
  }
  CHECK(most_inside == 1);
}

TEST_CASE("stopping the loop is prompt") {
  FixedClock clock(kStart);
  CredentialRefresher refresher([&] { return credentials_expiring(kStart + 10h, "K"); }, clock);
  refresher.refresh_now();
  const auto started = std::chrono::steady_clock::now();
  {
    std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
    std::this_thread::sleep_for(10ms);
  }  // request_stop + join
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("a cancelled fetch ends the loop and is not reported as a failure") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  CredentialRefresher refresher(
      [&]() -> Credentials {
        ++calls;
        throw Error(Error::Kind::kCancelled, "stopped before https://h answered");
      },
      clock, fast_policy());
  std::atomic<int> failures_reported{0};
  refresher.set_on_failure([&](const RefreshFailure&) { ++failures_reported; });
  CHECK_THROWS_AS(refresher.refresh_now(), Error);
  CHECK(refresher.status().consecutive_failures == 0);
  CHECK_FALSE(refresher.status().last_error.has_value());

  // run() returns by itself, without a stop request on its own token.
  std::atomic<bool> returned{false};
  std::jthread loop([&](std::stop_token) {
    refresher.run(std::stop_token{});
    returned = true;
  });
  CHECK(eventually(clock, 0s, [&] { return returned.load(); }));
  CHECK(calls == 2);
  CHECK(failures_reported == 0);
}

TEST_CASE("a failure before the loop starts is retried after a backoff and not at once") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  RefreshPolicy policy = fast_policy();
  policy.first_retry = 4'000ms;
  CredentialRefresher refresher(
      [&]() -> Credentials {
        if (++calls == 1) throw Error(Error::Kind::kTransport, "connection refused");
        return credentials_expiring(clock.now() + 1h, "K");
      },
      clock, policy, {}, [] { return 0.0; });
  CHECK_THROWS_AS(refresher.refresh_now(), Error);
  std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
  std::this_thread::sleep_for(30ms);
  CHECK(calls == 1);  // the clock has not moved: the backoff (2 s to 4 s) has not passed
  clock.advance(2s);  // the least backoff for the first failure with random_unit 0
  // The retry counts when it begins; its credentials are stored when it returns.
  CHECK(eventually(clock, 0s, [&] { return calls == 2 && refresher.current() != nullptr; }));
  CHECK(calls == 2);
}

TEST_CASE("a refusal before the loop starts is retried at the slow pace, not after a second") {
  FixedClock clock(kStart);
  std::atomic<int> calls{0};
  RefreshPolicy policy = fast_policy();
  policy.max_retry = 60'000ms;
  CredentialRefresher refresher(
      [&]() -> Credentials {
        if (++calls == 1) throw ServiceError(403, "AccessDeniedException", "untrusted");
        return credentials_expiring(clock.now() + 1h, "K");
      },
      clock, policy, {}, [] { return 0.0; });
  CHECK_THROWS_AS(refresher.refresh_now(), ServiceError);
  CHECK(refresher.status().last_failure_permanent);
  std::jthread loop([&](std::stop_token stop) { refresher.run(stop); });
  std::this_thread::sleep_for(50ms);  // the loop has planned its first attempt from kStart
  clock.advance(30s);                 // well past the transient backoff
  std::this_thread::sleep_for(50ms);
  CHECK(calls == 1);
  clock.advance(30s);  // max_retry
  // The retry's success is recorded when it returns, not when it begins.
  CHECK(eventually(clock, 0s, [&] { return calls == 2 && refresher.current() != nullptr; }));
  CHECK(calls == 2);
  CHECK_FALSE(refresher.status().last_failure_permanent);
}
