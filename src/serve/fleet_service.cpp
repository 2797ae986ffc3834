#include "rolesanywhere/serve_fleet.hpp"

#include "container_token.hpp"
#include "cross_site_check.hpp"
#include "endpoint_handler.hpp"
#include "endpoint_server.hpp"
#include "listener_parts.hpp"
#include "serve_common.hpp"
#include "token_store.hpp"

#include "rolesanywhere/credential_service.hpp"
#include "rolesanywhere/error.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace rolesanywhere::serve {

namespace {

using Outcome = FirstFetch::Outcome;

bool same_token(const SecretString& a, const SecretString& b) {
  return a.reveal().size() == b.reveal().size() &&
         CRYPTO_memcmp(a.reveal().data(), b.reveal().data(), a.reveal().size()) == 0;
}

// One role served: its provider, refresh loop and endpoint handler. The loop runs on a thread of
// its own from construction until stop().
class Binding {
 public:
  Binding(BindingConfig config, std::shared_ptr<SharedIdentity> identity, const Clock& clock,
          const ServeOptions& options, TokenStore& tokens, bool any_host, const FleetEvents& events)
      : name_(config.name),
        fingerprint_(config.fingerprint),
        container_path_(config.container_path),
        container_token_file_(config.container_token_file),
        imds_(config.imds),
        identity_(std::move(identity)) {
    config.provider.transport.cancel = stop_.get_token();
    provider_ = std::make_unique<RolesAnywhereProvider>(identity_, std::move(config.provider));
    // Once told to stop (removed or replaced by a reload), a binding says nothing more: a
    // signature a token held past the reload may still end in an error, which is no news about
    // the binding of that name that serves now.
    const std::stop_token stopped = stop_.get_token();
    if (events.provider_event)
      provider_->set_observer(
          [name = name_, report = events.provider_event, stopped](const ProviderEvent& event) {
            if (!stopped.stop_requested()) report(name, event);
          });

    EndpointConfig endpoint;
    endpoint.role_name = role_name_from_arn(provider_->params().role_arn);
    endpoint.container_authorization =
        read_or_create_container_token(container_token_file_, "container-token-file");
    endpoint.container_path = container_path_;
    endpoint.any_host = any_host;

    RefreshEvents refresh_events;
    if (events.failed)
      refresh_events.failed = [name = name_, report = events.failed,
                               stopped](const FailureReport& failure) {
        if (!stopped.stop_requested()) report(name, failure);
      };
    if (events.recovered)
      refresh_events.recovered = [name = name_, report = events.recovered,
                                  stopped](const Credentials& credentials) {
        if (!stopped.stop_requested()) report(name, credentials);
      };
    credentials_ = std::make_unique<CredentialService>(
        [this, &clock] { return provider_->fetch(clock); }, clock,
        CredentialServiceOptions{options.policy, true, options.debug, {}},
        std::move(refresh_events));
    handler_ = std::make_unique<EndpointHandler>(std::move(endpoint),
                                                 credentials_supplier(*credentials_), tokens);
    thread_ = std::thread([this, left_out = events.left_out] {
      credentials_->run(stop_.get_token());
      ended_ = true;
      // A refusal after the binding was announced (while its first failure was retried): say so
      // once; apply() reports those it saw itself, and those that came while it announced
      // (announce()).
      if (!stop_.stop_requested() && announced_ && left_out &&
          credentials_->first_fetch().outcome() == Outcome::kRejected &&
          !refusal_reported_.exchange(true))
        left_out(name_, credentials_->first_fetch().failure_message());
      {
        const std::lock_guard lock(finished_mutex_);
        finished_ = true;
      }
      finished_changed_.notify_all();
    });
  }
  ~Binding() { stop(); }
  Binding(const Binding&) = delete;
  Binding& operator=(const Binding&) = delete;

  // Cancels a CreateSession in progress and waits for the loop to end.
  void stop() {
    request_stop();
    if (thread_.joinable()) thread_.join();
  }
  void request_stop() { stop_.request_stop(); }
  // Whether the thread has nothing left to do, waiting for it until `deadline` at most: a
  // signature a token holds (waiting for a touch) ignores the stop.
  bool wait_finished(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(finished_mutex_);
    return finished_changed_.wait_until(lock, deadline, [this] { return finished_; });
  }
  bool finished() {
    const std::lock_guard lock(finished_mutex_);
    return finished_;
  }

  const std::string& name() const noexcept { return name_; }
  const std::string& fingerprint() const noexcept { return fingerprint_; }
  const std::string& container_path() const noexcept { return container_path_; }
  const std::string& container_token_file() const noexcept { return container_token_file_; }
  bool imds() const noexcept { return imds_; }
  const SecretString& token() const { return *handler_->config().container_authorization; }
  const FirstFetch& first_fetch() const noexcept { return credentials_->first_fetch(); }
  RefreshStatus status() const { return credentials_->status(); }
  HttpResponse handle(const HttpRequest& request, TimePoint now) const {
    return handler_->handle(request, now);
  }
  // Marks it announced. True when its loop ended with a refusal that nobody has reported: one
  // that came after apply() stopped waiting and before this call, which the loop did not report
  // since the binding was not announced yet. The caller leaves it out.
  bool announce() {
    announced_ = true;
    return ended_ && credentials_->first_fetch().outcome() == Outcome::kRejected &&
           !refusal_reported_.exchange(true);
  }
  // The refresh loop ended (a refusal before any credentials, or a fault) or was stopped: the
  // binding serves nothing any more, and a reload starts it again.
  bool ended() const noexcept { return ended_; }
  // Its path, token file and IMDS role are those of `config`: it can stand in for it.
  bool serves_like(const BindingConfig& config) const {
    return container_path_ == config.container_path &&
           container_token_file_ == config.container_token_file && imds_ == config.imds;
  }
  // The token file still holds the token this binding checks (a rotated token restarts it).
  bool token_file_unchanged() const {
    try {
      return same_token(
          read_or_create_container_token(container_token_file_, "container-token-file"), token());
    } catch (const Error&) {
      return false;
    }
  }

 private:
  std::string name_, fingerprint_, container_path_, container_token_file_;
  bool imds_ = false;
  std::shared_ptr<SharedIdentity> identity_;
  std::stop_source stop_;
  std::unique_ptr<RolesAnywhereProvider> provider_;
  std::unique_ptr<CredentialService> credentials_;
  std::unique_ptr<EndpointHandler> handler_;
  std::atomic<bool> announced_{false};
  std::atomic<bool> refusal_reported_{false};  // a refusal after start-up is said once
  std::atomic<bool> ended_{false};
  std::mutex finished_mutex_;
  std::condition_variable finished_changed_;
  bool finished_ = false;  // the thread's body has returned
  std::thread thread_;     // last: started once everything it uses exists
};

using BindingList = std::vector<std::shared_ptr<Binding>>;

// Refuses what cannot be served as a whole, before anything is started or stopped.
void check_configuration(const std::vector<BindingConfig>& bindings) {
  const auto refuse = [](const std::string& message) {
    throw Error(Error::Kind::kInvalidArgument, message);
  };
  const BindingConfig* imds = nullptr;
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const BindingConfig& binding = bindings[i];
    if (const auto problem = container_path_problem(binding.container_path))
      refuse("binding '" + binding.name + "': the container path " + binding.container_path + ": " +
             *problem);
    if (binding.imds) {
      if (imds)
        refuse("bindings '" + imds->name + "' and '" + binding.name +
               "' both answer the IMDS paths; one binding at most can");
      imds = &binding;
    }
    for (std::size_t j = 0; j < i; ++j) {
      const BindingConfig& earlier = bindings[j];
      if (earlier.name == binding.name) refuse("two bindings are named '" + binding.name + "'");
      if (same_endpoint_path(earlier.container_path, binding.container_path))
        refuse("bindings '" + earlier.name + "' and '" + binding.name +
               "' have the same container path " + binding.container_path);
      if (earlier.container_token_file == binding.container_token_file)
        refuse("bindings '" + earlier.name + "' and '" + binding.name +
               "' have the same container token file " + binding.container_token_file +
               ": each needs its own token, or either could take the other's credentials");
    }
  }
}

}  // namespace

struct FleetService::State {
  State(ServeListener::Parts& listener, const Clock& clock_in, FleetEvents events_in)
      : options(std::move(listener.options)),
        socket(std::move(listener.socket)),
        endpoint(std::move(listener.endpoint)),
        clock(clock_in),
        events(std::move(events_in)) {}

  std::shared_ptr<const BindingList> snapshot() const {
    const std::lock_guard lock(table_mutex);
    return table;
  }
  HttpResponse route(const HttpRequest& request) const;
  BindingEndpoint describe(const Binding& binding) const;
  std::shared_ptr<SharedIdentity> identity_for(const IdentitySource& source);
  // Tells a binding taken out of service to stop, without waiting for it: a token holding its
  // signature must not hold a reload (nor the SIGTERM after it) as well. Kept until it is done.
  void retire(const std::shared_ptr<Binding>& binding) {
    binding->request_stop();
    retiring.push_back(binding);
  }
  // Every binding with a thread: those served and those retiring.
  BindingList all_bindings() const {
    BindingList all = *snapshot();
    all.insert(all.end(), retiring.begin(), retiring.end());
    return all;
  }

  ServeOptions options;
  UniqueFd socket;  // until start_answering() hands it to the server
  ListeningEndpoint endpoint;
  const Clock& clock;
  FleetEvents events;
  TokenStore tokens;  // IMDSv2 tokens, for the IMDS binding
  // Identities loaded, by identity_sharing_key: bindings naming the same ones share them.
  std::map<std::string, std::weak_ptr<SharedIdentity>> identities;

  mutable std::mutex table_mutex;
  std::shared_ptr<const BindingList> table = std::make_shared<BindingList>();
  // Stopped, maybe not yet finished; only apply(), stop_refreshes() and the destructor touch it,
  // all on the caller's thread.
  BindingList retiring;
  std::unique_ptr<EndpointServer> server;  // last: stopped before what it calls is destroyed
};

HttpResponse FleetService::State::route(const HttpRequest& request) const {
  const TimePoint now = clock.now();
  const std::shared_ptr<const BindingList> bindings = snapshot();
  if (auto page = answer_status_request(request, now, !endpoint.loopback, options.metrics, [&] {
        std::vector<BindingStatus> statuses;
        for (const auto& binding : *bindings)
          statuses.push_back({binding->name(), binding->status()});
        return statuses;
      }))
    return std::move(*page);
  const bool imds_path = request.path.starts_with("/latest/");
  for (const auto& binding : *bindings)
    if (imds_path ? binding->imds() : same_endpoint_path(request.path, binding->container_path()))
      return binding->handle(request, now);
  // No binding's path: the cross-site rules still come first, as on every path.
  if (auto refusal = cross_site_refusal(request, !endpoint.loopback)) return std::move(*refusal);
  HttpResponse not_found;
  not_found.status = 404;
  not_found.headers.push_back({"Content-Type", "text/plain"});
  not_found.body = "Not Found";
  return not_found;
}

BindingEndpoint FleetService::State::describe(const Binding& binding) const {
  BindingEndpoint described;
  described.name = binding.name();
  const std::string& url = endpoint.metadata_url;  // ends with '/'
  described.container_url = url.substr(0, url.size() - 1) + binding.container_path();
  described.container_token_file = binding.container_token_file();
  if (binding.imds()) described.metadata_url = url;
  return described;
}

std::shared_ptr<SharedIdentity> FleetService::State::identity_for(const IdentitySource& source) {
  const std::string key = identity_sharing_key(source);
  if (auto loaded = identities[key].lock()) return loaded;
  auto identity = load_shared_identity(source, clock, options.debug);
  identities[key] = identity;
  return identity;
}

FleetService::FleetService(ServeListener listener, const Clock& clock, FleetEvents events)
    : state_(std::make_unique<State>(*listener.parts_, clock, std::move(events))) {}

FleetService::~FleetService() {
  if (state_->server) state_->server->shutdown(std::chrono::milliseconds(0));
  const BindingList bindings = state_->all_bindings();
  // Every loop told to stop first, so their CreateSessions are cancelled together.
  for (const auto& binding : bindings) binding->request_stop();
  for (const auto& binding : bindings) binding->stop();
}

FleetChanges FleetService::apply(std::vector<BindingConfig> configs, const std::stop_token& stop) {
  State& state = *state_;
  check_configuration(configs);
  // Those retired by earlier reloads that are done by now are joined (at once) and let go.
  std::erase_if(state.retiring, [](const auto& binding) { return binding->finished(); });
  std::set<std::string> configured;
  for (const BindingConfig& config : configs) configured.insert(config.name);
  const std::shared_ptr<const BindingList> running = state.snapshot();
  std::map<std::string, std::shared_ptr<Binding>> running_by_name;
  for (const auto& binding : *running) running_by_name[binding->name()] = binding;

  FleetChanges changes;
  BindingList next;
  std::vector<std::shared_ptr<Binding>> started;
  // The running binding each started one replaces: kept when its replacement cannot start and
  // it serves on the same path with the same token, so a mistake in a reload loses nothing.
  std::map<std::string, std::shared_ptr<Binding>> replaced;
  const auto leave_out = [&](const std::string& name, std::string reason,
                             BindingList::iterator at) {
    changes.left_out.push_back(name);
    const auto old = replaced.find(name);
    if (old != replaced.end()) {
      reason += "; the running '" + name + "' keeps its previous settings";
      *at = old->second;
      replaced.erase(old);
    } else {
      next.erase(at);
    }
    if (state.events.left_out) state.events.left_out(name, reason);
  };
  for (BindingConfig& config : configs) {
    const auto found = running_by_name.find(config.name);
    if (found != running_by_name.end()) {
      Binding& running_binding = *found->second;
      if (running_binding.fingerprint() == config.fingerprint && !running_binding.ended() &&
          running_binding.token_file_unchanged()) {
        changes.unchanged.push_back(config.name);
        next.push_back(found->second);
        continue;
      }
      if (!running_binding.ended() && running_binding.serves_like(config))
        replaced[config.name] = found->second;
    }
    const std::string name = config.name;
    next.push_back(nullptr);  // its place, in the configuration's order
    try {
      auto identity = state.identity_for(config.provider.identity);
      auto binding = std::make_shared<Binding>(std::move(config), std::move(identity), state.clock,
                                               state.options, state.tokens,
                                               !state.endpoint.loopback, state.events);
      started.push_back(binding);
      next.back() = std::move(binding);
    } catch (const Error& error) {
      leave_out(name, error.what(), std::prev(next.end()));
    }
  }

  // Tokens are compared only now that they are read: two files may hold the same token. A new
  // binding is compared with the running ones it joins and the new ones before it, so a running
  // binding keeps its token and of two new ones the later is left out.
  for (const auto& binding : started) {
    const auto at = std::find(next.begin(), next.end(), binding);
    const auto same = std::find_if(next.begin(), next.end(), [&](const auto& other) {
      const bool new_one = std::find(started.begin(), started.end(), other) != started.end();
      const bool earlier = std::find(next.begin(), at, other) != at;
      return other != binding && (!new_one || earlier) &&
             same_token(other->token(), binding->token());
    });
    if (same == next.end()) continue;
    const std::string reason = "its container token file holds the same token as binding '" +
                               (*same)->name() + "': each binding needs its own";
    state.retire(binding);
    leave_out(binding->name(), reason, at);
  }

  // The first CreateSessions run together; each gets what is left of one announce_after.
  const auto deadline = std::chrono::steady_clock::now() + state.options.announce_after;
  for (const auto& binding : started) {
    if (std::find(next.begin(), next.end(), binding) == next.end()) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const Outcome outcome = binding->first_fetch().wait_for_change(
        Outcome::kPending, std::max(left, std::chrono::milliseconds(0)), stop);
    if (outcome == Outcome::kRejected || binding->announce()) {
      state.retire(binding);
      leave_out(binding->name(), binding->first_fetch().failure_message(),
                std::find(next.begin(), next.end(), binding));
    }
  }
  for (const auto& binding : started)
    if (std::find(next.begin(), next.end(), binding) != next.end())
      (running_by_name.contains(binding->name()) ? changes.changed : changes.added)
          .push_back(binding->name());

  {
    const std::lock_guard lock(state.table_mutex);
    state.table = std::make_shared<const BindingList>(next);
  }
  for (const auto& binding : *running)
    if (std::find(next.begin(), next.end(), binding) == next.end()) {
      state.retire(binding);
      if (!configured.contains(binding->name())) changes.removed.push_back(binding->name());
    }
  if (state.server && state.events.serving)
    for (const auto& binding : started)
      if (std::find(next.begin(), next.end(), binding) != next.end())
        state.events.serving(state.describe(*binding));
  return changes;
}

void FleetService::start_answering() {
  State& state = *state_;
  state.server = std::make_unique<EndpointServer>(
      std::move(state.socket),
      [&state](const HttpRequest& request) { return state.route(request); },
      endpoint_server_options(state.options, state.endpoint, state.events.warn));
  if (state.events.listening) state.events.listening(state.endpoint);
  if (state.events.serving)
    for (const auto& binding : *state.snapshot()) state.events.serving(state.describe(*binding));
}

std::size_t FleetService::size() const { return state_->snapshot()->size(); }

void FleetService::shutdown(std::chrono::milliseconds drain) {
  if (state_->server) state_->server->shutdown(drain);
}

bool FleetService::stop_refreshes(std::chrono::milliseconds wait) {
  const BindingList bindings = state_->all_bindings();
  for (const auto& binding : bindings) binding->request_stop();
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool all_finished = true;
  for (const auto& binding : bindings)
    all_finished = binding->wait_finished(deadline) && all_finished;
  return all_finished;
}

}  // namespace rolesanywhere::serve
