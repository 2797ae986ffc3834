// serve as a service: a local IMDSv2 endpoint (and, with a token, the container credentials
// endpoint) that hands out credentials kept fresh in the background by a provider. Everything
// that can be checked without the network (the socket, the token file) is checked when it is
// built; the first CreateSession then decides whether it starts at all.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credential_service.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/refresher.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace rolesanywhere::serve {

inline constexpr std::uint16_t kDefaultPort = 9911;

// serve's status pages, answered in front of every binding: no container path may be theirs.
inline constexpr const char* kHealthPath = "/healthz";
inline constexpr const char* kMetricsPath = "/metrics";

// Whether two request paths are one endpoint: serve answers a path with or without one trailing
// slash, as aws_signing_helper does.
bool same_endpoint_path(std::string_view a, std::string_view b);
// What is wrong with a binding's container path, or nullopt: it must start with '/', and not lie
// under /latest/ (the IMDS paths) nor be a status page.
std::optional<std::string> container_path_problem(std::string_view path);

// The listening socket systemd passed to this process (LISTEN_PID, LISTEN_FDS), if any.
std::optional<int> systemd_activated_socket();

// How the listener's messages name the command-line flags they point to: the library never
// spells a flag itself, the command line passes the names it uses. Empty leaves the flag out
// ("the address 'x' is not ...") and drops a hint that only a flag could act on.
struct ServeLabels {
  std::string bind;                  // "--bind"
  std::string port;                  // "--port": offered when the port is in use
  std::string allow_non_loopback;    // "--allow-non-loopback": offered off loopback
  std::string container_token_file;  // "--container-token-file"
};

struct ServeOptions {
  // Where to listen: a socket systemd passed, or bind_address:port (port 0: any free port).
  std::optional<int> activated_fd;
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = kDefaultPort;
  // Off loopback anyone who can reach the address can take the credentials: refused unless set.
  bool allow_non_loopback = false;
  std::optional<int> hop_limit;  // IP TTL of answers; default 64, or 1 off loopback
  // With a token file, also the container credentials path, which requires its token.
  std::optional<std::string> container_token_file;  // absolute: the announcement names it
  std::string container_path = "/v1/credentials";
  RefreshPolicy policy;
  DebugSink debug;  // one line per request and per refresh, never a secret
  ServeLabels labels;
  // A first CreateSession usually ends within this: its outcome then decides whether serve
  // starts at all. Past it, the endpoint is announced anyway and answers 503 until it ends.
  std::chrono::milliseconds announce_after{2'000};
  // Also GET /metrics (Prometheus text); GET /healthz is always answered.
  bool metrics = false;
};

// Where clients reach the endpoint, for the announcement.
struct ListeningEndpoint {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  std::uint16_t port = 0;
  bool loopback = true;
  std::string metadata_url;                  // "http://127.0.0.1:9911/"
  std::optional<std::string> container_url;  // "http://127.0.0.1:9911/v1/credentials"
  std::optional<std::string> container_token_file;
};

// What serve tells its operator; every member optional.
struct ServeEvents {
  // The endpoint is announced: the first credentials arrived, or have not within two seconds.
  std::function<void(const ListeningEndpoint&)> listening;
  // Two seconds passed without an answer to the first CreateSession; 503 until it comes.
  std::function<void()> first_still_pending;
  // The first CreateSession failed in a way that may pass (its message); 503 while retrying.
  std::function<void(const std::string& failure)> first_retrying;
  // Later refresh failures worth a line, and the recovery after them (refreshing thread).
  std::function<void(const FailureReport&)> failed;
  std::function<void(const Credentials&)> recovered;
  // What the server says without --debug (every connection in use), once a minute at most.
  std::function<void(const std::string&)> warn;
};

// The local half of serve, set up before the identity is loaded (which may ask for a PIN), so a
// port in use or a bad token file is reported first: the socket opened (or adopted from systemd)
// and checked, the container token read or created.
class ServeListener {
 public:
  // Refuses an address that is not loopback unless allowed.
  explicit ServeListener(ServeOptions options);
  ~ServeListener();
  ServeListener(ServeListener&&) noexcept;
  ServeListener& operator=(ServeListener&&) noexcept;

  const ListeningEndpoint& endpoint() const noexcept;

  struct Parts;

 private:
  friend class ServeService;
  friend class FleetService;
  std::unique_ptr<Parts> parts_;
};

class ServeService {
 public:
  // Ready to answer on the listener's socket; start() opens it. `provider` and `clock` must
  // outlive the service.
  ServeService(ServeListener listener, RolesAnywhereProvider& provider, const Clock& clock,
               ServeEvents events);
  ~ServeService();
  ServeService(const ServeService&) = delete;
  ServeService& operator=(const ServeService&) = delete;

  const ListeningEndpoint& endpoint() const noexcept;

  // The refreshing thread's body: the first CreateSession, then refreshes until `stop` or a
  // refusal before any credentials were obtained.
  void run_refreshes(std::stop_token stop);
  // On the main thread, while run_refreshes runs: starts answering once the first CreateSession
  // has an outcome or after announce_after without one (clients that connect earlier wait in the
  // listen backlog, then get credentials rather than a 503 to retry: a socket-activated serve is
  // started by the first client's connection), with 503 on the credentials paths until
  // credentials arrive; announces the endpoint at the same moment. Returns once credentials are
  // served, or on `stop`; while the first failure is retried it keeps waiting, since only a refusal
  // ends that wait. Throws the refusal when the service refuses before any credentials were
  // obtained (on the first attempt or a retry, before or after the announcement), after closing the
  // endpoint.
  void start(const std::stop_token& stop);
  // Once run_refreshes has returned: throws what ended it other than a stop.
  void rethrow_failure() const;
  // Refresh now (SIGHUP): renewed certificate files are read first.
  void refresh_soon();
  // Stops accepting connections and waits up to `drain` for the requests in flight.
  void shutdown(std::chrono::milliseconds drain);

  struct State;

 private:
  void start_answering();
  void wait_for_first_credentials(FirstFetch::Outcome outcome, const std::stop_token& stop);

  std::unique_ptr<State> state_;
};

}  // namespace rolesanywhere::serve
