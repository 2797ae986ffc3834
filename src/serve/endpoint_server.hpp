// The endpoint's HTTP plumbing on libmicrohttpd, kept thin: it turns each request into an
// HttpRequest, asks the handler, and sends what it answers. It also
//   - sets the hop limit (IP_TTL / IPV6_UNICAST_HOPS) on every accepted socket,
//   - bounds what a client can send (header memory per connection, body bytes, connections,
//     idle time), so no request, however malformed, grows the process or crashes it,
//   - keeps slow clients from holding every connection (connection_guard.hpp),
//   - answers 400 to an HTTP/1.1 request that does not name its Host exactly once (RFC 9112),
//   - shuts down cleanly: stop accepting, let the requests in flight finish, then stop.
#pragma once

#include "listen_socket.hpp"

#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/http.hpp"
#include "rolesanywhere/unique_fd.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace rolesanywhere::serve {

struct EndpointServerOptions {
  int hop_limit = 64;
  unsigned threads = 2;             // libmicrohttpd's polling threads; handlers never block
  unsigned connection_limit = 512;  // beyond this, new connections are refused
  // Slots kept free for new clients: once fewer are free, each new connection closes the one
  // that has waited longest for its request (connection_guard.hpp). 0: none kept.
  unsigned connection_reserve = 64;
  // A connection must begin a request this long after it opened or its last answer went out.
  std::chrono::seconds idle_timeout{15};
  // A request must be complete (headers and body) this long after its first line arrived.
  std::chrono::seconds request_timeout{5};
  // libmicrohttpd's memory per connection, which bounds the request line and headers: a larger
  // request is answered 431 by libmicrohttpd itself.
  std::size_t connection_memory = 16 * 1024;
  std::size_t max_body_bytes = 1024;  // no endpoint takes a body; more than this is a 413
  DebugSink debug;                    // one line per request (method, path, status); no secrets
  // Conditions an operator should see without --debug (connections closed to make room for new
  // clients), at most once a minute each.
  DebugSink warn;
};

using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

class EndpointServer {
 public:
  // Starts serving on `listen_socket` (bound and listening; ownership passes to the server).
  // Throws Error(kInternal) when libmicrohttpd cannot start.
  EndpointServer(UniqueFd listen_socket, RequestHandler handler,
                 EndpointServerOptions options = {});
  ~EndpointServer();  // shutdown() with no drain time, if not done yet
  EndpointServer(const EndpointServer&) = delete;
  EndpointServer& operator=(const EndpointServer&) = delete;

  const SocketAddress& address() const noexcept;
  std::uint16_t port() const noexcept { return address().port(); }

  // Stops accepting connections at once, waits up to `drain` for the requests already being
  // received or answered to finish, then stops. Idempotent.
  void shutdown(std::chrono::milliseconds drain);

  // Requests whose first line has arrived and whose answer is not yet sent.
  std::size_t requests_in_flight() const noexcept;

  struct State;  // shared with the libmicrohttpd callbacks

 private:
  std::unique_ptr<State> state_;
};

}  // namespace rolesanywhere::serve
