// The heart of the emulator: decide, as IAM Roles Anywhere would, whether a CreateSession request
// earns credentials. No sockets, no clock reads, no output: a request, a configuration and the
// time in, a verdict out, so every rule is unit-tested directly.
//
// Statuses and error types (the real service's shapes; our messages are more precise):
//   404 UnknownOperationException  not POST /sessions
//   400 ValidationException        a request that is malformed whoever sent it: a missing or
//                                  malformed ARN, a bad body, durationSeconds outside 900..43200,
//                                  a bad roleSessionName
//   403 AccessDeniedException      everything about who is asking: ARNs that are well formed
//                                  but do not belong together or are not the ones served, missing
//                                  or malformed signing headers, a stale X-Amz-Date, a wrong scope,
//                                  headers left unsigned, a signature that does not verify, a
//                                  certificate that does not chain to the trust anchor, is expired
//                                  or is a CA
#pragma once

#include "emulator_config.hpp"
#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/http.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace rolesanywhere::emulator {

// How far X-Amz-Date may be from the server's time, either way, and the durations taken: the
// service's limits as doctor knows them, so the two agree.
inline constexpr std::chrono::minutes kMaxClockSkew = doctor::kMaxClockSkew;
inline constexpr int kMinDurationSeconds = doctor::kMinSessionDuration;
inline constexpr int kMaxDurationSeconds = doctor::kMaxSessionDuration;
inline constexpr int kDefaultDurationSeconds = 3600;

// An error answer: HTTP status, x-amzn-ErrorType, and the {"message":...} text.
struct ServiceFault {
  int status = 0;
  std::string type;
  std::string message;
};

// What a verified request is entitled to; the response builder turns it into credentials.
struct SessionGrant {
  std::string role_arn;
  std::string profile_arn;
  std::string trust_anchor_arn;
  int duration_seconds = kDefaultDurationSeconds;
  std::optional<std::string> role_session_name;
  std::string serial_decimal;
  std::string serial_hex;
  std::string subject;      // RFC 2253
  std::string common_name;  // empty when the subject has none
};

struct VerificationResult {
  std::variant<SessionGrant, ServiceFault> outcome;
  // What the server computed, for the --verbose log; empty when verification stopped earlier.
  std::string canonical_request;
  std::string string_to_sign;

  bool accepted() const noexcept { return std::holds_alternative<SessionGrant>(outcome); }
  const SessionGrant& grant() const { return std::get<SessionGrant>(outcome); }
  const ServiceFault& fault() const { return std::get<ServiceFault>(outcome); }
};

VerificationResult verify_create_session(const HttpRequest& request, const EmulatorConfig& config,
                                         TimePoint now);

// "20150830T123600Z" -> time point; nullopt unless exactly that form, a real date, and one a
// TimePoint holds (nanoseconds since 1970 in 64 bits: 1677-09-21 to 2262-04-11).
std::optional<TimePoint> parse_amz_date(std::string_view text);

}  // namespace rolesanywhere::emulator
