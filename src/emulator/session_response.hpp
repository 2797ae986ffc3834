// The 201 answer of CreateSession for a verified request, and the error answer's body.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "verify_session.hpp"

#include <string>

namespace rolesanywhere::emulator {

// The real response's JSON shape with fresh random credentials:
// {"credentialSet":[{"assumedRoleUser":{"arn","assumedRoleId"},"credentials":{"accessKeyId",
//  "secretAccessKey","sessionToken","expiration"},"packedPolicySize","roleArn","sourceIdentity",
//  "subjectArn","enrollmentId"}],"subjectArn"}. Expiration is now + durationSeconds.
struct SessionResponse {
  std::string body;
  // What the stats may tell about the session (never the secret key or the token).
  std::string access_key_id;
  std::string expiration;  // ISO 8601, as in the body
};
SessionResponse create_session_response(const SessionGrant& grant, TimePoint now);

// {"message":"..."}
std::string error_response_body(const std::string& message);

// "ASIA" + 16 of [A-Z0-9], as STS temporary access key ids look.
std::string random_access_key_id();
// `length` characters from the CSPRNG: of [A-Za-z0-9+/] as AWS secret keys are, or with
// upper_case_only of [A-Z2-7] as access key ids are. Both alphabets are powers of two: no bias.
std::string random_alphanumeric(std::size_t length, bool upper_case_only = false);
// A random RFC 4122 version 4 UUID.
std::string random_uuid();

}  // namespace rolesanywhere::emulator
