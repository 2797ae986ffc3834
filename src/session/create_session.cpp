// CreateSession with retries: each attempt is signed afresh (X-Amz-Date must be current, and a
// retry after a long backoff must not carry a stale signature), sent, and its answer mapped.
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/session.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stop_token>
#include <string>

namespace rolesanywhere {

namespace {

sigv4x509::SigningParams signing_params(const Identity& identity, const Endpoint& endpoint,
                                        const Clock& clock) {
  return sigv4x509::SigningParams{
      identity.signing_algorithm(), identity.serial_decimal(), identity.certificate_base64(),
      identity.chain_base64(),      endpoint.region,           clock.now()};
}

// Nothing in a signed request is secret (the certificate and signature are public), so the
// headers are shown whole; the body holds only the duration and session name.
void debug_signed_request(const DebugSink& sink, const std::string& canonical,
                          const HttpRequest& request) {
  if (!sink) return;
  debug(sink, "canonical request:\n" + canonical);
  std::string lines = "request headers:";
  for (const auto& header : request.headers) lines += "\n  " + header.name + ": " + header.value;
  debug(sink, lines);
  debug(sink, "request body: " + request.body);
}

// Sleeps between attempts, but no longer than until a stop is requested.
void default_sleep(std::chrono::milliseconds delay, const std::stop_token& cancel) {
  std::mutex mutex;
  std::condition_variable_any stopped;
  std::unique_lock lock(mutex);
  stopped.wait_for(lock, cancel, delay, [] { return false; });
}

void throw_if_cancelled(const std::stop_token& cancel) {
  if (cancel.stop_requested())
    throw Error(Error::Kind::kCancelled, "CreateSession stopped on request before it finished");
}

void wait_before_attempt(const RetryPolicy& retry, int attempt, int max_attempts,
                         const DebugSink& debug_sink) {
  const auto delay = backoff_delay(retry, attempt - 1);
  debug(debug_sink, "attempt " + std::to_string(attempt) + " of " + std::to_string(max_attempts) +
                        " after " + std::to_string(delay.count()) + " ms");
  retry.sleep ? retry.sleep(delay) : default_sleep(delay, retry.cancel);
}

// Only transport errors get a note of how hard we tried; a service error stays as the service
// worded it so the CLI can show it unchanged.
[[noreturn]] void throw_last_error(const std::exception_ptr& last_error, int max_attempts) {
  try {
    std::rethrow_exception(last_error);
  } catch (const ServiceError&) {
    throw;
  } catch (const Error& e) {
    if (max_attempts == 1) throw;
    throw Error(e.kind(), std::string(e.what()) + " (gave up after " +
                              std::to_string(max_attempts) + " attempts)");
  }
}

}  // namespace

Credentials create_session(const Identity& identity, const CreateSessionParams& params,
                           HttpTransport& transport, const Clock& clock, const RetryPolicy& retry,
                           const DebugSink& debug_sink) {
  validate(params);
  const Endpoint endpoint = resolve_endpoint(params);
  const HttpRequest unsigned_request = build_create_session_request(params, endpoint);
  debug(debug_sink,
        "CreateSession endpoint: " + endpoint.url + " (signing region " + endpoint.region + ")");

  const int max_attempts = std::max(1, retry.max_attempts);
  const auto sign = [&identity](std::string_view string_to_sign) {
    return identity.sign(string_to_sign, Digest::kSha256);
  };

  std::exception_ptr last_error;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    if (attempt > 1) wait_before_attempt(retry, attempt, max_attempts, debug_sink);
    throw_if_cancelled(retry.cancel);

    HttpRequest request = unsigned_request;
    const std::string canonical =
        sigv4x509::sign_request(request, signing_params(identity, endpoint, clock), sign);
    debug_signed_request(debug_sink, canonical, request);

    HttpResponse response;
    try {
      response = transport.send(endpoint.url, request);
    } catch (const Error& e) {
      if (e.kind() != Error::Kind::kTransport) throw;
      debug(debug_sink, std::string("attempt failed: ") + e.what());
      last_error = std::current_exception();
      continue;
    }
    debug(debug_sink, "CreateSession answered HTTP " + std::to_string(response.status));

    // Any 2xx is a success (the service answers 201; a proxy or a future version may not).
    if (response.status >= 200 && response.status < 300) {
      const WipeOnExit wipe_body{response.body};
      return parse_create_session_response(response.body);
    }

    ServiceError error = service_error_from_response(response);
    debug(debug_sink, std::string("CreateSession error: ") + error.what());
    if (!error.retryable()) throw error;
    last_error = std::make_exception_ptr(error);
  }

  throw_last_error(last_error, max_attempts);
}

}  // namespace rolesanywhere
