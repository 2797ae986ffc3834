// StopSignals turns SIGTERM/SIGINT into a stop request, whichever thread the kernel hands the
// signal to: one started before it existed, with nothing blocked, included (as a PKCS#11
// module's own threads are). Were the signal not handled there, it would end this test process.
#include "cli/stop_signals.hpp"

#include <doctest/doctest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

using rolesanywhere::cli::StopSignals;

namespace {

bool stopped_within(const StopSignals& signals, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!signals.token().stop_requested() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return signals.token().stop_requested();
}

}  // namespace

TEST_CASE("stop signals: a SIGTERM taken by a thread that predates them is a stop") {
  std::atomic<bool> release{false};
  std::thread early([&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  {
    const StopSignals signals;
    CHECK(std::strcmp(signals.received_name(), "no signal") == 0);
    REQUIRE(pthread_kill(early.native_handle(), SIGTERM) == 0);
    CHECK(stopped_within(signals, std::chrono::seconds(5)));
    CHECK(std::strcmp(signals.received_name(), "SIGTERM") == 0);
  }
  release = true;
  early.join();
}

TEST_CASE("stop signals: SIGINT to the process is a stop, and the old handling comes back") {
  struct sigaction before {};
  sigaction(SIGINT, nullptr, &before);
  {
    const StopSignals signals;
    REQUIRE(kill(getpid(), SIGINT) == 0);
    CHECK(stopped_within(signals, std::chrono::seconds(5)));
    CHECK(std::strcmp(signals.received_name(), "SIGINT") == 0);
    signals.wait();  // returns at once: the stop was requested
  }
  struct sigaction after {};
  sigaction(SIGINT, nullptr, &after);
  CHECK(reinterpret_cast<std::uintptr_t>(after.sa_handler) ==
        reinterpret_cast<std::uintptr_t>(before.sa_handler));
}

TEST_CASE("stop signals: a second instance in one process is refused; a later one works") {
  {
    const StopSignals first;
    CHECK_THROWS(StopSignals());
  }
  const StopSignals again;
  REQUIRE(kill(getpid(), SIGTERM) == 0);
  CHECK(stopped_within(again, std::chrono::seconds(5)));
}

TEST_CASE("stop signals: a signal requests the stop_source they were given") {
  std::stop_source stopping;
  const StopSignals signals(stopping);
  REQUIRE(kill(getpid(), SIGTERM) == 0);
  CHECK(stopped_within(signals, std::chrono::seconds(5)));
  CHECK(stopping.stop_requested());
}

TEST_CASE("stop signals: SIGHUP calls the hangup function and does not stop") {
  std::atomic<int> hangups{0};
  struct sigaction before {};
  sigaction(SIGHUP, nullptr, &before);
  {
    const StopSignals signals({}, [&hangups] { ++hangups; });
    REQUIRE(kill(getpid(), SIGHUP) == 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (hangups == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(hangups == 1);
    CHECK_FALSE(signals.token().stop_requested());
    CHECK(std::strcmp(signals.received_name(), "no signal") == 0);
    REQUIRE(kill(getpid(), SIGTERM) == 0);  // still stoppable
    CHECK(stopped_within(signals, std::chrono::seconds(5)));
  }
  struct sigaction after {};
  sigaction(SIGHUP, nullptr, &after);
  CHECK(reinterpret_cast<std::uintptr_t>(after.sa_handler) ==
        reinterpret_cast<std::uintptr_t>(before.sa_handler));
}
