#include "rolesanywhere/update.hpp"

#include "credentials_file.hpp"

#include <utility>

namespace rolesanywhere::update {

UpdateService::UpdateService(UpdateServiceOptions options, RolesAnywhereProvider& provider,
                             const Clock& clock, UpdateEvents events)
    : options_(std::move(options)),
      provider_(provider),
      clock_(clock),
      events_(std::move(events)),
      service_(
          [this] { return fetch(); }, clock,
          CredentialServiceOptions{options_.policy, !options_.retry_errors, options_.debug, {}},
          RefreshEvents{[this](const Credentials& credentials) { write(credentials); },
                        events_.first_attempt_failed,
                        events_.failed,
                        {}}) {}

Credentials UpdateService::fetch() {
  if (new_credentials_wanted_.exchange(false)) unwritten_.reset();
  const RefreshPolicy& policy = options_.policy;
  if (unwritten_ &&
      unwritten_->expiration - clock_.now() > policy.refresh_before_expiry + policy.max_jitter)
    return *unwritten_;
  unwritten_.reset();
  return provider_.fetch(clock_);
}

void UpdateService::write(const Credentials& credentials) {
  try {
    UpdateOptions write_options;
    write_options.on_lock_wait = events_.waiting_for_lock;
    write_options.labels = options_.labels;
    update_credentials_file(options_.file, options_.profile, credentials, write_options);
  } catch (...) {
    if (running_) unwritten_ = credentials;
    throw;  // the refresh counts as failed and is retried
  }
  unwritten_.reset();
  if (running_ && events_.written)
    events_.written(credentials,
                    next_refresh_time(clock_.now(), credentials.expiration, options_.policy, 0.0));
}

void UpdateService::update_once() { service_.refresh_once(); }

void UpdateService::run(std::stop_token stop) {
  running_ = true;
  service_.run(std::move(stop));
}

void UpdateService::refresh_soon() {
  new_credentials_wanted_ = true;
  service_.refresh_soon();
}

}  // namespace rolesanywhere::update
