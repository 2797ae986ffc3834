// Keeping credentials fresh, shared by `serve` and `update`: refresh a little before expiry (with
// jitter so a fleet does not refresh in the same second), retry failures with backoff while the
// current credentials are still valid, and never replace good credentials with a failure.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/error.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

namespace rolesanywhere {

struct RefreshPolicy {
  std::chrono::seconds refresh_before_expiry{300};  // 5 minutes, as the official helper
  std::chrono::seconds max_jitter{30};              // refresh up to this much earlier still
  std::chrono::milliseconds first_retry{1'000};     // backoff after a failed refresh...
  std::chrono::milliseconds max_retry{60'000};      // ...doubling up to this
  // The loop never sleeps longer than this before looking at the wall clock again, so a machine
  // that slept past the refresh time refreshes at once on wake.
  std::chrono::milliseconds max_sleep_slice{5'000};
  // Credentials are never refreshed sooner than this after they were obtained, however short
  // their life: a session that ends inside the refresh window must not cause a refresh loop.
  // Zero turns this guard off (the test hook that refreshes flat out).
  std::chrono::milliseconds min_refresh_interval{30'000};
};

// --- pure policy ---

// For credentials obtained at `obtained`: expiration - refresh_before_expiry - random_unit *
// max_jitter (random_unit in [0,1)), but never sooner than min_refresh_interval after `obtained`.
// A session shorter than the refresh window (as when the certificate expires soon) is refreshed
// half-way through its life instead.
TimePoint next_refresh_time(TimePoint obtained, TimePoint expiration, const RefreshPolicy& policy,
                            double random_unit);
// Exponential backoff for the n-th consecutive failure (n >= 1) with "equal jitter": a random
// point in the upper half of min(max_retry, first_retry * 2^(n-1)), so a retry is never immediate.
std::chrono::milliseconds refresh_retry_delay(int consecutive_failures, const RefreshPolicy& policy,
                                              double random_unit);

// True when retrying cannot help until someone changes something: the service refused us (other
// than throttling or 5xx), or the certificate/key/flags are unusable.
bool is_permanent_failure(const Error& error) noexcept;

// --- the loop ---

// A failed refresh, handed over as a value: callers need no catch block to look at it.
struct RefreshFailure {
  std::exception_ptr error;  // as thrown (a ServiceError stays one): rethrow it to end with it
  std::string message;       // the error's what(): never a secret
  bool permanent = false;    // is_permanent_failure: retrying cannot help until someone acts
  bool refused_by_service = false;  // the service answered with a refusal (a ServiceError)
  TimePoint next_attempt{};         // when the loop tries again
};
// What `error` (as thrown by a fetch) says about retrying, for a failure value.
RefreshFailure describe_refresh_failure(std::exception_ptr error, TimePoint next_attempt);

// What happened to the latest refresh attempt, for status lines and the serve endpoint.
struct RefreshStatus {
  std::shared_ptr<const Credentials> credentials;  // null until the first success
  TimePoint last_success{};
  std::optional<std::string> last_error;  // message of the latest failure, cleared on success
  int consecutive_failures = 0;
  // Since the refresher was made, for /metrics: fetches that returned credentials, and attempts
  // that failed (a cancelled fetch is a stop, not a failure, and counts in neither).
  std::uint64_t refreshes_total = 0;
  std::uint64_t failures_total = 0;
  bool last_failure_permanent = false;  // is_permanent_failure of the latest failure
  // The one schedule: after a success, the planned refresh (next_refresh_time); after a failure,
  // the retry (refresh_retry_delay, or max_retry for a permanent-looking failure).
  TimePoint next_attempt{};
};

class CredentialRefresher {
 public:
  // `fetch` obtains fresh credentials (CreateSession) or throws rolesanywhere::Error.
  using Fetch = std::function<Credentials()>;
  // Called after every successful refresh, on the refresher's thread (update writes the file),
  // with the time of the refresh planned for these credentials. A throw makes the refresh a
  // failure, retried as any other.
  using OnRefresh = std::function<void(const Credentials&, TimePoint next_refresh)>;
  // Called after every failed refresh in run(), with what failed, whether it looks permanent, and
  // when the next attempt will be.
  using OnFailure = std::function<void(const RefreshFailure& failure)>;

  CredentialRefresher(Fetch fetch, const Clock& clock, RefreshPolicy policy = {},
                      DebugSink debug = {}, std::function<double()> random_unit = {});

  // One fetch now. Throws what fetch threw; on success the credentials become current. A fetch
  // that ends in Error(kCancelled) is not counted as a failure.
  void refresh_now();

  // Credentials that are valid at clock.now() (not expired), or null. Never blocks on a refresh.
  std::shared_ptr<const Credentials> current() const;
  RefreshStatus status() const;

  // Set both before run() starts.
  void set_on_refresh(OnRefresh on_refresh);
  void set_on_failure(OnFailure on_failure);

  // Refreshes at next_refresh_time, retrying failures with backoff, until stop is requested.
  // A failure never discards credentials that are still valid. Permanent-looking errors (access
  // denied, a certificate that expired) are retried at the slowest pace, max_retry, since an
  // operator may fix the trust anchor or renew the certificate meanwhile. A fetch that ends in
  // Error(kCancelled) (its transport was told to stop) ends the loop as a stop request does.
  void run(std::stop_token stop);

  // Wakes run() early (tests, and a clock that jumped).
  void wake();

 private:
  // Sleeps until `deadline` by the injected clock, in slices, or until stop/wake.
  void sleep_until(TimePoint deadline, const std::stop_token& stop);
  TimePoint next_attempt_time() const;
  void record_failure(const std::string& what, bool permanent);

  Fetch fetch_;
  const Clock& clock_;
  RefreshPolicy policy_;
  DebugSink debug_;
  std::function<double()> random_unit_;
  OnRefresh on_refresh_;
  OnFailure on_failure_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_condition_;
  bool woken_ = false;
  RefreshStatus status_;
  std::mutex refresh_mutex_;  // one refresh at a time
};

}  // namespace rolesanywhere
