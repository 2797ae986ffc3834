// What serve does until it has its first credentials. The endpoint is already listening
// (answering 503 on the credentials path) while the first CreateSession runs, on the refresher's
// thread, so that a service that accepts the connection and never answers delays neither the
// announcement nor a SIGTERM.
//   - a rejection will not fix itself: serve stops with the reason, even if it had announced,
//     and also when the rejection comes on a retry after an outage;
//   - an unreachable or overloaded service may: serve keeps answering 503 and retries.
#pragma once

#include "rolesanywhere/error.hpp"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

namespace rolesanywhere::serve {

enum class StartupVerdict {
  kStop,        // bad certificate or key, access denied, a wrong flag: exit with the message
  kKeepTrying,  // connection refused, timeout, 5xx, throttling: serve and retry
};

StartupVerdict classify_startup_failure(const Error& error);

// Hands the outcome of the first CreateSession from the thread that runs it to the thread that
// waits for it. Thread-safe.
class FirstFetch {
 public:
  enum class Outcome {
    kPending,    // still running
    kSucceeded,  // credentials are being served
    kRetrying,   // failed in a way that may pass; retried in the background
    kRejected,   // failed in a way retrying cannot fix; rethrow_rejection() has the reason
    kCancelled,  // stopped by a stop request before it finished
  };

  // Runs `fetch` once, classifies what it threw, and publishes the outcome. Never throws.
  Outcome run(const std::function<void()>& fetch) noexcept;
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

}  // namespace rolesanywhere::serve
