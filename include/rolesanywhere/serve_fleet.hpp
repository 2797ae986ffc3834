// Several roles in one serve (serve --config): one endpoint, many bindings. Each binding is a
// provider with its own role and refresh schedule, served on its own container path behind its
// own token; at most one also answers the IMDSv2 paths. Bindings that name the same certificate
// and key share one loaded identity. A binding that cannot start (its identity does not load, its
// token file cannot be read, the service refuses its first CreateSession) is left out and
// reported; the others are served. The set can be changed while serving (SIGHUP): unchanged
// bindings keep their credentials and schedule.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/serve.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace rolesanywhere::serve {

struct BindingConfig {
  std::string name;  // unique, [A-Za-z0-9_-]+
  // Equal fingerprints (and names) make the same binding: on apply() it keeps running as it is.
  // Anything that changes what the binding does must change it (the caller digests its settings).
  std::string fingerprint;
  ProviderOptions provider;          // its transport.cancel is replaced by the binding's own stop
  std::string container_path;        // "/v1/credentials/<name>"
  std::string container_token_file;  // absolute; created (0600, a random token) when missing
  bool imds = false;                 // also answers the IMDSv2 paths (one binding at most)
};

// Where a binding's clients point their SDK, for the announcement.
struct BindingEndpoint {
  std::string name;
  std::string container_url;  // "http://127.0.0.1:9911/v1/credentials/web"
  std::string container_token_file;
  std::optional<std::string> metadata_url;  // the IMDS binding's: "http://127.0.0.1:9911/"
};

// What the fleet tells its operator; every member optional. `binding` names the binding.
struct FleetEvents {
  std::function<void(const ListeningEndpoint&)> listening;  // the endpoint is open
  std::function<void(const BindingEndpoint&)> serving;      // a binding is served from now on
  // A binding could not start, or its refresh loop ended with a refusal before any credentials:
  // it is left out (its paths answer 404, or 503 once it was announced).
  std::function<void(const std::string& binding, const std::string& reason)> left_out;
  std::function<void(const std::string& binding, const FailureReport&)> failed;
  std::function<void(const std::string& binding, const Credentials&)> recovered;
  std::function<void(const std::string& binding, const ProviderEvent&)> provider_event;
  std::function<void(const std::string&)> warn;  // the server's own conditions
};

// What apply() did, by binding name, in the order of the configuration.
struct FleetChanges {
  std::vector<std::string> added, removed, changed, unchanged, left_out;
};

class FleetService {
 public:
  // `listener` carries the socket (its container token options are not used: each binding has
  // its own) and the options every binding shares: refresh policy, debug, announce_after,
  // metrics. `clock` must outlive the service.
  FleetService(ServeListener listener, const Clock& clock, FleetEvents events);
  ~FleetService();  // stops every binding (cancelling CreateSessions in progress) and joins them
  FleetService(const FleetService&) = delete;
  FleetService& operator=(const FleetService&) = delete;

  // Makes the running bindings those of `bindings`: starts the new and changed ones (loading
  // their identities on this thread, where a PIN may be asked for), waits up to announce_after for
  // their first CreateSession, leaves out those that failed to start or were refused, then swaps
  // the set the endpoint routes by and tells the removed and replaced ones to stop (without
  // waiting for them: see stop_refreshes). Unchanged bindings are not touched. Reports `serving`
  // for each binding started once the endpoint is open. Throws Error(kInvalidArgument) for a
  // configuration that cannot be served as a whole (two bindings with the same name, path or token,
  // two IMDS bindings), changing nothing.
  FleetChanges apply(std::vector<BindingConfig> bindings, const std::stop_token& stop);

  // Opens the endpoint (after the first apply) and announces it and every binding served.
  void start_answering();
  // How many bindings are served.
  std::size_t size() const;
  // Stops accepting connections and waits up to `drain` for the requests in flight.
  void shutdown(std::chrono::milliseconds drain);
  // Tells every binding's refresh loop to stop (cancelling CreateSessions in progress) and waits
  // up to `wait` for all of them, those removed by earlier reloads included. False when one is
  // still busy, inside a signature a token holds: the destructor would then wait for it, so the
  // caller may rather end the process.
  bool stop_refreshes(std::chrono::milliseconds wait);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace rolesanywhere::serve
