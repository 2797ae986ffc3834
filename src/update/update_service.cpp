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
          RefreshEvents{[this](const Credentials& credentials, TimePoint next_refresh) {
                          write(credentials, next_refresh);
                        },
                        events_.first_attempt_failed,
                        events_.failed,
                        {}}) {}

Credentials UpdateService::fetch() {
  if (new_credentials_wanted_.exchange(false)) unwritten_.reset();
  // Kept until they come due for a refresh themselves, by the refresher's own schedule.
  if (unwritten_ && clock_.now() < unwritten_->due) return unwritten_->credentials;
  unwritten_.reset();
  return provider_.fetch(clock_);
}

void UpdateService::write(const Credentials& credentials, TimePoint next_refresh) {
  try {
    UpdateOptions write_options;
    write_options.on_lock_wait = events_.waiting_for_lock;
    write_options.labels = options_.labels;
    update_credentials_file(options_.file, options_.profile, credentials, write_options);
  } catch (...) {
    if (running_) unwritten_ = Unwritten{credentials, next_refresh};
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
