#include "rolesanywhere/credential_service.hpp"

#include <utility>

namespace rolesanywhere {

CredentialService::CredentialService(Fetch fetch, const Clock& clock,
                                     CredentialServiceOptions options, RefreshEvents events)
    : clock_(clock),
      options_(std::move(options)),
      events_(std::move(events)),
      refresher_(std::move(fetch), clock, options_.policy, options_.debug, options_.random_unit) {
  refresher_.set_on_refresh([this](const Credentials& credentials, TimePoint next_refresh) {
    on_fetched(credentials, next_refresh);
  });
  refresher_.set_on_failure([this](const RefreshFailure& failure) { on_failure(failure); });
}

std::optional<TimePoint> CredentialService::delivered_expiration() const {
  std::lock_guard lock(delivered_mutex_);
  return delivered_;
}

void CredentialService::on_fetched(const Credentials& credentials, TimePoint next_refresh) {
  // A throw makes this refresh a failure.
  if (events_.deliver) events_.deliver(credentials, next_refresh);
  {
    std::lock_guard lock(delivered_mutex_);
    delivered_ = credentials.expiration;
  }
  failure_log_.succeeded();
  if (std::exchange(failing_, false) && events_.recovered) events_.recovered(credentials);
}

void CredentialService::on_failure(const RefreshFailure& failure) {
  const std::optional<TimePoint> delivered = delivered_expiration();
  if (failure.permanent && options_.refusal_before_success_stops && !delivered) {
    // Nothing was ever delivered and the service refuses: as at start, the service ends with the
    // reason, also when the refusal comes on a retry after an outage.
    first_.reject(failure.error, failure.message);
    ended_.request_stop();
    return;
  }
  failing_ = true;
  const TimePoint now = clock_.now();
  FailureReport report{failure, {}, std::nullopt};
  if (delivered && *delivered > now) report.still_valid_until = delivered;
  report.log = failure_log_.failed(failure.message, report.still_valid_until.has_value(), now);
  if (report.log.report && events_.failed) events_.failed(report);
}

void CredentialService::refresh_once() { refresher_.refresh_now(); }

void CredentialService::run(std::stop_token stop) {
  const std::stop_callback forward_stop(stop, [this] { ended_.request_stop(); });
  try {
    std::exception_ptr first_error;
    const FirstFetch::Outcome first = first_.run(
        [&] {
          try {
            refresher_.refresh_now();
          } catch (...) {
            first_error = std::current_exception();
            throw;
          }
        },
        options_.refusal_before_success_stops);
    if (first == FirstFetch::Outcome::kRetrying) {
      failing_ = true;  // so the recovery is reported
      if (events_.first_attempt_failed && first_error)
        events_.first_attempt_failed(
            describe_refresh_failure(first_error, refresher_.status().next_attempt));
    }
    if (first == FirstFetch::Outcome::kSucceeded || first == FirstFetch::Outcome::kRetrying)
      refresher_.run(ended_.get_token());
  } catch (...) {
    // Not a refresh failure (the refresher handles those) but a fault of ours, in a callback
    // say: nothing says it will pass, so the service ends and its front end reports it.
    std::lock_guard lock(delivered_mutex_);
    unexpected_ = std::current_exception();
  }
}

void CredentialService::rethrow_failure() const {
  {
    std::lock_guard lock(delivered_mutex_);
    if (unexpected_) std::rethrow_exception(unexpected_);
  }
  if (first_.outcome() == FirstFetch::Outcome::kRejected) first_.rethrow_rejection();
}

}  // namespace rolesanywhere
