// Keeps slow clients from holding the endpoint's connections (slowloris). The server takes a fixed
// number of connections, and a client that opens many and sends each request a byte every few
// seconds would otherwise hold all of them while SDKs wait. A per-address limit cannot tell them
// apart: on loopback the attacker and the SDK are both 127.0.0.1 (and containers reach the
// endpoint through one bridge address). So each connection is held to what it owes instead:
//   - a connection waiting for a request (just opened, or kept alive after an answer) must begin
//     one within the idle timeout, counted from when it began waiting, however many bytes trickle
//     in meanwhile;
//   - a request whose first line is in must be complete (headers and body) within the request
//     timeout: these requests are a few hundred bytes, so a few seconds is generous;
//   - once the open connections reach the capacity minus a reserve, every new one closes the
//     connection that has waited longest for its request, so a new client always finds a slot,
//     and an SDK, which sends its request at once, is answered at once.
// A connection whose request is in is being answered and is never closed here.
// Thread-safe: libmicrohttpd's threads report what happens, a timer thread asks for the overdue.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>

namespace rolesanywhere::serve {

class ConnectionGuard {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Limits {
    std::size_t capacity = 512;  // connections the server takes at most
    std::size_t reserve = 64;    // kept free for new clients by closing the slowest
    std::chrono::milliseconds idle_timeout{15'000};
    std::chrono::milliseconds request_timeout{5'000};
  };

  // How a connection is closed: shutdown(2) on its socket, so that the server sees the end of it
  // and closes it on its own thread. Called with the guard's lock held: the connection cannot be
  // closed (and its descriptor reused) by the server meanwhile.
  using Drop = std::function<void(int fd)>;

  ConnectionGuard(Limits limits, Drop drop);
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  struct Connection;  // one per open connection; valid from opened() to closed()

  // A new connection on socket `fd`, waiting for its first request. When that leaves fewer than
  // `reserve` free slots, the connection that has waited longest for its request is dropped;
  // `evicted` (when given) is set to whether one was.
  Connection* opened(int fd, TimePoint now, bool* evicted = nullptr);
  void request_started(Connection* connection, TimePoint now);  // its first line is in
  void request_received(Connection* connection);  // complete: being answered, never dropped
  void request_finished(Connection* connection, TimePoint now);  // answered: waiting again
  void closed(Connection* connection);

  // Drops every connection past its deadline; returns how many.
  std::size_t drop_overdue(TimePoint now);

  // Open connections not yet dropped.
  std::size_t live() const;

  enum class Phase { kWaitingForRequest, kReceivingRequest, kAnswering };
  struct Connection {
    int fd = -1;
    Phase phase = Phase::kWaitingForRequest;
    TimePoint since{};     // when the phase began
    bool dropped = false;  // shut down, not yet closed by the server
    std::list<Connection>::iterator self;
  };

 private:
  bool overdue(const Connection& connection, TimePoint now) const;
  void drop(Connection& connection);
  void enter(Connection* connection, Phase phase, TimePoint now);

  const Limits limits_;
  const Drop drop_;
  mutable std::mutex mutex_;
  // In the order they entered their phase: the front has waited longest.
  std::list<Connection> connections_;
  std::size_t dropped_ = 0;  // entries of connections_ dropped and not yet closed
};

}  // namespace rolesanywhere::serve
