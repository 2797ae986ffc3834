#include "rolesanywhere/refresher.hpp"

#include <algorithm>
#include <random>
#include <thread>

namespace rolesanywhere {

namespace {

double default_random_unit() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

double clamp_unit(double value) { return std::clamp(value, 0.0, 0.999999); }

std::string describe(TimePoint t) { return format_iso8601(t); }

}  // namespace

TimePoint next_refresh_time(TimePoint obtained, TimePoint expiration, const RefreshPolicy& policy,
                            double random_unit) {
  const auto jitter = std::chrono::duration_cast<std::chrono::milliseconds>(
      policy.max_jitter * clamp_unit(random_unit));
  const TimePoint planned = expiration - policy.refresh_before_expiry - jitter;
  const TimePoint earliest = obtained + policy.min_refresh_interval;
  if (planned >= earliest || policy.min_refresh_interval.count() == 0) return planned;
  // Only the jitter made it too soon: as soon as allowed, which is before the un-jittered time.
  if (expiration - policy.refresh_before_expiry >= earliest) return earliest;
  return std::max(earliest, obtained + (expiration - obtained) / 2);
}

std::chrono::milliseconds refresh_retry_delay(int consecutive_failures, const RefreshPolicy& policy,
                                              double random_unit) {
  std::chrono::milliseconds ceiling = policy.first_retry;
  for (int i = 1; i < consecutive_failures && ceiling < policy.max_retry; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_retry);
  const auto half = ceiling / 2;
  return half + std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
                    half.count() * clamp_unit(random_unit)));
}

bool is_permanent_failure(const Error& error) noexcept {
  switch (error.kind()) {
    case Error::Kind::kTransport:
    case Error::Kind::kInternal:
      return false;
    case Error::Kind::kService:
      if (const auto* service = dynamic_cast<const ServiceError*>(&error))
        return !service->retryable();
      return false;  // e.g. a malformed answer: the next one may be fine
    default:
      return true;
  }
}

RefreshFailure describe_refresh_failure(std::exception_ptr error, TimePoint next_attempt) {
  RefreshFailure failure;
  failure.error = error;
  failure.next_attempt = next_attempt;
  try {
    std::rethrow_exception(error);
  } catch (const ServiceError& refused) {
    failure.message = refused.what();
    failure.permanent = is_permanent_failure(refused);
    failure.refused_by_service = true;
  } catch (const Error& other) {
    failure.message = other.what();
    failure.permanent = is_permanent_failure(other);
  } catch (const std::exception& unexpected) {
    failure.message = unexpected.what();
  } catch (...) {
    failure.message = "unknown failure";
  }
  return failure;
}

CredentialRefresher::CredentialRefresher(Fetch fetch, const Clock& clock, RefreshPolicy policy,
                                         DebugSink debug, std::function<double()> random_unit)
    : fetch_(std::move(fetch)),
      clock_(clock),
      policy_(policy),
      debug_(std::move(debug)),
      random_unit_(random_unit ? std::move(random_unit) : default_random_unit) {}

void CredentialRefresher::set_on_refresh(OnRefresh on_refresh) {
  on_refresh_ = std::move(on_refresh);
}

void CredentialRefresher::set_on_failure(OnFailure on_failure) {
  on_failure_ = std::move(on_failure);
}

void CredentialRefresher::refresh_now() {
  std::lock_guard one_at_a_time(refresh_mutex_);
  try {
    auto fresh = std::make_shared<const Credentials>(fetch_());
    const TimePoint now = clock_.now();
    const TimePoint next = next_refresh_time(now, fresh->expiration, policy_, random_unit_());
    {
      std::lock_guard lock(mutex_);
      status_.credentials = fresh;
      status_.last_success = now;
      status_.last_error.reset();
      status_.consecutive_failures = 0;
      ++status_.refreshes_total;
      status_.last_failure_permanent = false;
      status_.next_attempt = next;
    }
    debug(debug_, "refreshed credentials " + fresh->access_key_id + ", valid until " +
                      describe(fresh->expiration) + "; next refresh at " + describe(next));
    if (on_refresh_) on_refresh_(*fresh, next);
  } catch (const Error& error) {
    if (error.kind() == Error::Kind::kCancelled) throw;  // stopping, not failing
    record_failure(error.what(), is_permanent_failure(error));
    throw;
  } catch (const std::exception& unexpected) {
    // Anything else from the fetch becomes our error type, so the loop keeps running.
    record_failure(unexpected.what(), false);
    throw Error(Error::Kind::kInternal, unexpected.what());
  }
}

void CredentialRefresher::record_failure(const std::string& what, bool permanent) {
  std::lock_guard lock(mutex_);
  status_.last_error = what;
  ++status_.consecutive_failures;
  ++status_.failures_total;
  status_.last_failure_permanent = permanent;
  // Permanent-looking errors wait the longest (an operator may fix the trust anchor or renew
  // the certificate meanwhile); others back off exponentially.
  status_.next_attempt =
      clock_.now() +
      (permanent ? policy_.max_retry
                 : refresh_retry_delay(status_.consecutive_failures, policy_, random_unit_()));
}

std::shared_ptr<const Credentials> CredentialRefresher::current() const {
  std::lock_guard lock(mutex_);
  if (status_.credentials && status_.credentials->expiration > clock_.now())
    return status_.credentials;
  return nullptr;
}

RefreshStatus CredentialRefresher::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void CredentialRefresher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_condition_.notify_all();
}

TimePoint CredentialRefresher::next_attempt_time() const {
  std::lock_guard lock(mutex_);
  // Failures before run() started (a first fetch that failed) back off as the loop would have,
  // rather than retrying the moment the loop starts.
  if (status_.credentials || status_.consecutive_failures > 0) return status_.next_attempt;
  return clock_.now();  // no credentials yet and no failure recorded: try at once
}

void CredentialRefresher::sleep_until(TimePoint deadline, const std::stop_token& stop) {
  // Short slices against the injected clock: a wall clock that jumps (suspend, NTP) is noticed
  // within one slice, and tests can move a FixedClock.
  while (!stop.stop_requested()) {
    const TimePoint now = clock_.now();
    if (now >= deadline) return;
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::unique_lock lock(mutex_);
    if (wake_condition_.wait_for(lock, stop, std::min(remaining, policy_.max_sleep_slice),
                                 [this] { return woken_; })) {
      woken_ = false;
      return;
    }
  }
}

void CredentialRefresher::run(std::stop_token stop) {
  TimePoint deadline = next_attempt_time();
  while (!stop.stop_requested()) {
    sleep_until(deadline, stop);
    if (stop.stop_requested()) break;
    try {
      refresh_now();
      deadline = next_attempt_time();
    } catch (const Error& error) {
      // The fetch was stopped because the process is stopping: not a failure to report.
      if (error.kind() == Error::Kind::kCancelled) return;
      deadline = next_attempt_time();
      const RefreshFailure failure = describe_refresh_failure(std::current_exception(), deadline);
      debug(debug_, std::string("refresh failed (") +
                        (failure.permanent ? "permanent" : "transient") + "): " + failure.message +
                        "; next attempt at " + describe(deadline));
      if (on_failure_) on_failure_(failure);
    }
  }
}

}  // namespace rolesanywhere
