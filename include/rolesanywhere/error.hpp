// The one error type the library throws. Its message is written for the person running the
// tool: it names the flag, file or service involved and what is wrong, and never holds a secret.
#pragma once

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rolesanywhere {

class Error : public std::runtime_error {
 public:
  // What went wrong, broadly. Kinds drive retry policy: CreateSession retries kTransport itself,
  // and serve and update (is_permanent_failure in refresher.hpp) retry kTransport, kInternal and
  // retryable service errors with backoff, while the rest are permanent (serve stops on one at
  // start-up; later they are retried at the longest interval); kCancelled means stopping, not
  // failing. Otherwise a kind is informative only: the helper exits 1 whatever it is.
  enum class Kind {
    kInvalidArgument,  // a flag or option value is wrong
    kInput,            // a file is missing, unreadable or malformed
    kCrypto,           // a key or certificate is unusable (mismatch, expired, unsupported)
    kTransport,        // the service could not be reached (DNS, connect, TLS, timeout)
    kService,          // the service answered with an error
    kNotSupported,     // a feature or key source this build does not offer (TPM keys, say)
    kCancelled,        // stopped on request (SIGTERM/SIGINT) before it finished; not a failure
    kInternal,
  };

  Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// An error answer from CreateSession (or a transport failure after retries).
class ServiceError : public Error {
 public:
  ServiceError(long http_status, std::string error_type, std::string service_message)
      : Error(Kind::kService, describe(http_status, error_type, service_message)),
        http_status_(http_status),
        error_type_(std::move(error_type)),
        service_message_(std::move(service_message)) {}

  long http_status() const noexcept { return http_status_; }
  const std::string& error_type() const noexcept { return error_type_; }
  const std::string& service_message() const noexcept { return service_message_; }

  // 5xx (but 501: the operation will not appear) and throttling may succeed later; anything
  // else the caller must fix. Throttling is recognised by 429 or by any of the error codes the
  // AWS SDKs treat as throttling, whatever the status: some services send them with 400.
  bool retryable() const noexcept {
    return (http_status_ >= 500 && http_status_ != 501) || http_status_ == 429 ||
           is_throttling_error_type(error_type_);
  }

 private:
  static bool is_throttling_error_type(std::string_view type) noexcept {
    static constexpr std::array<std::string_view, 11> kThrottlingTypes = {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    };
    return std::find(kThrottlingTypes.begin(), kThrottlingTypes.end(), type) !=
           kThrottlingTypes.end();
  }

  static std::string describe(long status, const std::string& type, const std::string& message) {
    std::string text = type.empty() ? "HTTP " + std::to_string(status) : type;
    if (!message.empty()) text += ": " + message;
    return text;
  }

  long http_status_;
  std::string error_type_;
  std::string service_message_;
};

}  // namespace rolesanywhere
