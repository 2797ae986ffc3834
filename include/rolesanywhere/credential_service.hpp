// What serve and update have in common as long-running services: one start-up policy and one
// refresh schedule around a CredentialRefresher.
//   - The first CreateSession runs on the refreshing thread; its outcome is handed to whoever
//     waits for it (serve's announcement, update's exit status).
//   - A refusal before the first success (a certificate the trust anchor does not trust, a role
//     that does not exist) will not fix itself: the service ends with it, unless told to keep
//     trying (update --retry-errors). An outage (unreachable, 5xx, throttling) never ends it.
//   - Later failures are retried by the refresher; which of them are worth a line is decided by
//     a FailureLog, and handed over as values with what the clients still have.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/failure_log.hpp"
#include "rolesanywhere/refresher.hpp"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

namespace rolesanywhere {

// Hands the outcome of the first CreateSession from the thread that runs it to the thread that
// waits for it. Thread-safe.
class FirstFetch {
 public:
  enum class Outcome {
    kPending,    // still running
    kSucceeded,  // credentials were obtained (and delivered)
    kRetrying,   // failed in a way that may pass (or that the caller retries anyway)
    kRejected,   // failed in a way retrying cannot fix; rethrow_rejection() has the reason
    kCancelled,  // stopped by a stop request before it finished
  };

  // Runs `fetch` once, classifies what it threw, and publishes the outcome. Never throws. A
  // failure is a refusal when is_permanent_failure says retrying cannot help (access denied, a bad
  // certificate or flag); an outage (unreachable, 5xx, throttling) is kRetrying, and so is a
  // refusal when `refusal_stops` is false.
  Outcome run(const std::function<void()>& fetch, bool refusal_stops = true) noexcept;
  // A retry after kRetrying was refused for good: publishes kRejected with that error.
  void reject(std::exception_ptr error, std::string message);

  // Waits until the outcome differs from `seen`, `limit` has passed, or `stop` is requested, and
  // returns the outcome then (which may still be `seen`).
  Outcome wait_for_change(Outcome seen, std::chrono::milliseconds limit,
                          const std::stop_token& stop) const;

  Outcome outcome() const;
  // The message of the failure behind kRetrying or kRejected; empty otherwise.
  std::string failure_message() const;
  // Throws the error behind kRejected as it was thrown (a ServiceError stays one).
  [[noreturn]] void rethrow_rejection() const;

 private:
  void publish(Outcome outcome, std::exception_ptr error, std::string message);

  mutable std::mutex mutex_;
  mutable std::condition_variable_any changed_;
  Outcome outcome_ = Outcome::kPending;
  std::exception_ptr error_;
  std::string message_;
};

// A refresh failure worth a line, with what the clients still have meanwhile.
struct FailureReport {
  RefreshFailure failure;
  FailureLog::Entry log;  // earlier failures held back since the last line
  // The expiry of the credentials last delivered when they are still valid: clients keep them.
  std::optional<TimePoint> still_valid_until;
};

// What the service tells its front end; every member optional, all called on the refreshing
// thread.
struct RefreshEvents {
  // After each success, before it counts as one, with the refresh planned for these credentials:
  // update writes its file here. A throw makes the refresh a failure, retried like any other.
  std::function<void(const Credentials&, TimePoint next_refresh)> deliver;
  // The first attempt failed and the service goes on retrying (an outage, or a refusal when
  // refusals do not stop it).
  std::function<void(const RefreshFailure&)> first_attempt_failed;
  // A later failure the service goes on through, when the FailureLog says it is worth a line.
  std::function<void(const FailureReport&)> failed;
  // The first success after failures.
  std::function<void(const Credentials&)> recovered;
};

struct CredentialServiceOptions {
  RefreshPolicy policy;
  // A refusal before the first success ends the service (serve; update without --retry-errors).
  bool refusal_before_success_stops = true;
  DebugSink debug;
  std::function<double()> random_unit;  // default: uniform [0,1); injected by tests
};

class CredentialService {
 public:
  using Fetch = CredentialRefresher::Fetch;
  CredentialService(Fetch fetch, const Clock& clock, CredentialServiceOptions options,
                    RefreshEvents events);

  // The refreshing thread's body: the first attempt, its outcome published in first_fetch();
  // then, unless it was rejected or cancelled, refreshes until `stop` is requested, a refusal
  // before the first success ends it (first_fetch() then says kRejected), or an unexpected error
  // (not a refresh failure: a fault in a callback) ends it. Never throws.
  void run(std::stop_token stop);
  // Once run() has returned: throws what ended it other than a stop (the refusal as it was
  // thrown, or the unexpected error); returns when a stop ended it.
  void rethrow_failure() const;
  // One attempt now, outside run() (update --once): throws what failed.
  void refresh_once();
  // Refresh now rather than at the scheduled time (SIGHUP).
  void refresh_soon() { refresher_.wake(); }

  const FirstFetch& first_fetch() const noexcept { return first_; }
  RefreshStatus status() const { return refresher_.status(); }
  // The expiry of the credentials last delivered, if any were.
  std::optional<TimePoint> delivered_expiration() const;

 private:
  void on_fetched(const Credentials& credentials, TimePoint next_refresh);
  void on_failure(const RefreshFailure& failure);

  const Clock& clock_;
  CredentialServiceOptions options_;
  RefreshEvents events_;
  CredentialRefresher refresher_;
  FirstFetch first_;
  std::stop_source ended_;  // requested by run()'s caller's stop, or by a refusal

  // Touched on the refreshing thread only, but for those under the mutex, which others read.
  FailureLog failure_log_;
  bool failing_ = false;
  mutable std::mutex delivered_mutex_;
  std::optional<TimePoint> delivered_;
  std::exception_ptr unexpected_;
};

}  // namespace rolesanywhere
