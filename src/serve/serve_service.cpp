#include "rolesanywhere/serve.hpp"

#include "container_token.hpp"
#include "endpoint_handler.hpp"
#include "endpoint_server.hpp"
#include "listen_socket.hpp"
#include "listener_parts.hpp"
#include "serve_common.hpp"
#include "token_store.hpp"

#include "rolesanywhere/error.hpp"

#include <unistd.h>

#include <cstdlib>

namespace rolesanywhere::serve {

namespace {

// The socket to serve on: systemd's, or one opened on the bind address. Refuses addresses that
// are not loopback unless allowed, whichever way the socket came.
UniqueFd open_socket(const ServeOptions& options) {
  UniqueFd socket;
  if (options.activated_fd) {
    adopt_listen_socket(*options.activated_fd);
    socket = UniqueFd(*options.activated_fd);
    // Children (none today) must not mistake the socket for theirs, as sd_listen_fds(3) does.
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
  }
  const SocketAddress address =
      options.activated_fd
          ? local_address(socket.get())
          : parse_bind_address(options.bind_address, options.port, options.labels.bind);
  const ServeLabels& labels = options.labels;
  if (!is_loopback(address) && !options.allow_non_loopback) {
    const std::string where = options.activated_fd  ? "the socket systemd passed"
                              : labels.bind.empty() ? "the address"
                                                    : labels.bind;
    throw Error(Error::Kind::kInvalidArgument,
                where + " " + address.host() +
                    " is not a loopback address: anyone who can reach it could take the "
                    "credentials" +
                    (labels.allow_non_loopback.empty()
                         ? ""
                         : ". Add " + labels.allow_non_loopback + " if that is intended"));
  }
  if (!options.activated_fd) socket = open_listen_socket(address, labels.port);
  return socket;
}

ListeningEndpoint describe_endpoint(const SocketAddress& address, const ServeOptions& options) {
  ListeningEndpoint endpoint;
  endpoint.host = address.host();
  endpoint.port = address.port();
  endpoint.loopback = is_loopback(address);
  endpoint.metadata_url = address.local_url();
  if (options.container_token_file) {
    const std::string& url = endpoint.metadata_url;
    endpoint.container_url = url.substr(0, url.size() - 1) + options.container_path;
    endpoint.container_token_file = options.container_token_file;
  }
  return endpoint;
}

}  // namespace

std::optional<int> systemd_activated_socket() {
  return systemd_listen_fd(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), ::getpid());
}

ServeListener::ServeListener(ServeOptions options) : parts_(std::make_unique<Parts>()) {
  parts_->socket = open_socket(options);
  parts_->endpoint = describe_endpoint(local_address(parts_->socket.get()), options);
  if (options.container_token_file)
    parts_->container_token = read_or_create_container_token(*options.container_token_file,
                                                             options.labels.container_token_file);
  parts_->options = std::move(options);
}

ServeListener::~ServeListener() = default;
ServeListener::ServeListener(ServeListener&&) noexcept = default;
ServeListener& ServeListener::operator=(ServeListener&&) noexcept = default;

const ListeningEndpoint& ServeListener::endpoint() const noexcept { return parts_->endpoint; }

struct ServeService::State {
  State(ServeListener::Parts& listener, RolesAnywhereProvider& provider_in, const Clock& clock_in,
        ServeEvents events_in)
      : options(std::move(listener.options)),
        socket(std::move(listener.socket)),
        endpoint(std::move(listener.endpoint)),
        provider(provider_in),
        clock(clock_in),
        events(std::move(events_in)),
        credentials([this] { return provider.fetch(clock); }, clock,
                    CredentialServiceOptions{options.policy, true, options.debug, {}},
                    RefreshEvents{{}, {}, events.failed, events.recovered}) {}

  ServeOptions options;
  UniqueFd socket;  // until start() hands it to the server
  ListeningEndpoint endpoint;
  RolesAnywhereProvider& provider;
  const Clock& clock;
  ServeEvents events;
  CredentialService credentials;
  TokenStore tokens;
  std::unique_ptr<EndpointHandler> handler;
  std::unique_ptr<EndpointServer> server;  // last: stopped before what it calls is destroyed
};

ServeService::ServeService(ServeListener listener, RolesAnywhereProvider& provider,
                           const Clock& clock, ServeEvents events)
    : state_(std::make_unique<State>(*listener.parts_, provider, clock, std::move(events))) {
  State& state = *state_;
  EndpointConfig config;
  config.container_path = state.options.container_path;
  config.any_host = !state.endpoint.loopback;
  config.container_authorization = std::move(listener.parts_->container_token);
  config.role_name = role_name_from_arn(provider.params().role_arn);

  state.handler = std::make_unique<EndpointHandler>(
      std::move(config), credentials_supplier(state.credentials), state.tokens);
}

ServeService::~ServeService() = default;

void ServeService::start(const std::stop_token& stop) {
  using Outcome = FirstFetch::Outcome;
  const FirstFetch& first = state_->credentials.first_fetch();
  const Outcome outcome =
      first.wait_for_change(Outcome::kPending, state_->options.announce_after, stop);
  if (outcome == Outcome::kRejected) first.rethrow_rejection();
  if (stop.stop_requested()) return;
  start_answering();
  wait_for_first_credentials(outcome, stop);
}

void ServeService::start_answering() {
  State& state = *state_;
  state.server = std::make_unique<EndpointServer>(
      std::move(state.socket),
      [&state](const HttpRequest& request) {
        const TimePoint now = state.clock.now();
        if (auto page = answer_status_request(
                request, now, !state.endpoint.loopback, state.options.metrics, [&state] {
                  return std::vector<BindingStatus>{{"default", state.credentials.status()}};
                }))
          return std::move(*page);
        return state.handler->handle(request, now);
      },
      endpoint_server_options(state.options, state.endpoint, state.events.warn));
}

const ListeningEndpoint& ServeService::endpoint() const noexcept { return state_->endpoint; }

void ServeService::run_refreshes(std::stop_token stop) { state_->credentials.run(std::move(stop)); }

void ServeService::refresh_soon() { state_->credentials.refresh_soon(); }

void ServeService::shutdown(std::chrono::milliseconds drain) {
  if (state_->server) state_->server->shutdown(drain);
}

void ServeService::rethrow_failure() const { state_->credentials.rethrow_failure(); }

void ServeService::wait_for_first_credentials(FirstFetch::Outcome outcome,
                                              const std::stop_token& stop) {
  using Outcome = FirstFetch::Outcome;
  constexpr auto kForever = std::chrono::hours(24 * 365);
  State& state = *state_;
  const FirstFetch& first = state.credentials.first_fetch();
  const auto announce = [&] {
    if (state.events.listening) state.events.listening(state.endpoint);
  };
  announce();
  if (outcome == Outcome::kPending) {
    if (state.events.first_still_pending) state.events.first_still_pending();
    outcome = first.wait_for_change(Outcome::kPending, kForever, stop);
  }
  if (outcome == Outcome::kRetrying) {
    if (state.events.first_retrying) state.events.first_retrying(first.failure_message());
    // The refresh loop retries; only a refusal (or a stop) ends this wait. A later success
    // is not published: serving then simply goes on until a stop.
    first.wait_for_change(Outcome::kRetrying, kForever, stop);
  }
  if (first.outcome() == Outcome::kRejected) {
    state.server->shutdown(std::chrono::milliseconds(0));
    first.rethrow_rejection();
  }
}

}  // namespace rolesanywhere::serve
