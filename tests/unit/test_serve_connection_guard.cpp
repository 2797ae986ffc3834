// Slow clients and the endpoint's connections (slowloris): the deadlines a connection is held to
// and who makes room for a new client, with the time passed in.
#include "serve/connection_guard.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace rolesanywhere::serve;
using namespace std::chrono_literals;

namespace {

const ConnectionGuard::TimePoint kStart{std::chrono::seconds(1000)};

// A guard that records the descriptors it drops instead of shutting sockets down.
struct Recorder {
  std::vector<int> dropped;
  ConnectionGuard guard;
  explicit Recorder(ConnectionGuard::Limits limits)
      : guard(limits, [this](int fd) { dropped.push_back(fd); }) {}
};

ConnectionGuard::Limits limits(std::size_t capacity = 512, std::size_t reserve = 64) {
  return {capacity, reserve, 15s, 5s};
}

}  // namespace

TEST_CASE("serve connection guard: a connection must begin a request within the idle timeout") {
  Recorder test(limits());
  test.guard.opened(7, kStart);
  CHECK(test.guard.drop_overdue(kStart + 14s) == 0);
  CHECK(test.guard.drop_overdue(kStart + 15s) == 1);
  CHECK(test.dropped == std::vector<int>{7});
  // Dropped once: the server has yet to close it, and it is not counted as open any more.
  CHECK(test.guard.drop_overdue(kStart + 60s) == 0);
  CHECK(test.guard.live() == 0);
}

TEST_CASE("serve connection guard: a request must be complete within the request timeout") {
  Recorder test(limits());
  auto* connection = test.guard.opened(7, kStart);
  // Its first line came late, but within the idle timeout: from then on it has 5 s, however many
  // bytes trickle in meanwhile (the guard never hears of them).
  test.guard.request_started(connection, kStart + 10s);
  CHECK(test.guard.drop_overdue(kStart + 14s) == 0);
  CHECK(test.guard.drop_overdue(kStart + 15s) == 1);
  CHECK(test.dropped == std::vector<int>{7});
}

TEST_CASE("serve connection guard: a request being answered is never dropped; then it waits") {
  Recorder test(limits());
  auto* connection = test.guard.opened(7, kStart);
  test.guard.request_started(connection, kStart + 1s);
  test.guard.request_received(connection);
  CHECK(test.guard.drop_overdue(kStart + 1h) == 0);
  // Kept alive after its answer: the next request must begin within the idle timeout of it.
  test.guard.request_finished(connection, kStart + 1h);
  CHECK(test.guard.drop_overdue(kStart + 1h + 14s) == 0);
  CHECK(test.guard.drop_overdue(kStart + 1h + 15s) == 1);
  test.guard.closed(connection);
  CHECK(test.guard.live() == 0);
}

TEST_CASE("serve connection guard: short of free slots, a new client gets the longest waiter's") {
  Recorder test(limits(5, 2));
  bool evicted = true;
  auto* first = test.guard.opened(1, kStart, &evicted);
  CHECK_FALSE(evicted);
  auto* answering = test.guard.opened(2, kStart + 1s);
  test.guard.request_started(answering, kStart + 1s);
  test.guard.request_received(answering);
  auto* third = test.guard.opened(3, kStart + 2s, &evicted);
  CHECK_FALSE(evicted);  // 3 of 5 open: the 2 slots of the reserve are free
  CHECK(test.dropped.empty());

  // The fourth leaves 1 free slot: the connection that has waited longest for its request goes.
  test.guard.opened(4, kStart + 3s, &evicted);
  CHECK(evicted);
  CHECK(test.dropped == std::vector<int>{1});
  CHECK(test.guard.live() == 3);

  // A request that began recently has waited less than a connection opened earlier and idle
  // since; the one being answered is never taken.
  test.guard.request_started(third, kStart + 4s);
  test.guard.opened(5, kStart + 5s, &evicted);
  CHECK(evicted);
  CHECK(test.dropped == std::vector<int>{1, 4});
  test.guard.opened(6, kStart + 6s, &evicted);
  CHECK(test.dropped == std::vector<int>{1, 4, 3});

  // Once the server has closed the dropped ones, their slots count as free again.
  test.guard.closed(first);
  CHECK(test.guard.live() == 3);  // 2 (answered), 5 and 6
}

TEST_CASE("serve connection guard: with every other connection answering, none is taken") {
  Recorder test(limits(4, 2));
  for (int fd = 1; fd <= 2; ++fd) {
    auto* connection = test.guard.opened(fd, kStart);
    test.guard.request_started(connection, kStart);
    test.guard.request_received(connection);
  }
  bool evicted = true;
  test.guard.opened(3, kStart + 1s, &evicted);
  CHECK_FALSE(evicted);  // the newcomer is never its own victim
  CHECK(test.dropped.empty());
}

TEST_CASE("serve connection guard: no reserve means no eviction") {
  Recorder test(limits(2, 0));
  bool evicted = true;
  for (int fd = 1; fd <= 4; ++fd) test.guard.opened(fd, kStart, &evicted);
  CHECK_FALSE(evicted);
  CHECK(test.dropped.empty());
}
