// Temporary AWS credentials and the forms they are handed out in.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/secret.hpp"

#include <string>
#include <string_view>

namespace rolesanywhere {

struct Credentials {
  std::string access_key_id;
  SecretString secret_access_key;
  SecretString session_token;
  TimePoint expiration;
};

// "2026-11-23T09:30:00Z"
std::string format_iso8601(TimePoint t);
// Accepts "2026-11-23T09:30:00Z" and fractional seconds / numeric offsets; throws Error(kInput).
TimePoint parse_iso8601(std::string_view text);

// {"Version":1,"AccessKeyId":...,"SecretAccessKey":...,"SessionToken":...,"Expiration":...}
std::string to_credential_process_json(const Credentials& credentials);

}  // namespace rolesanywhere
