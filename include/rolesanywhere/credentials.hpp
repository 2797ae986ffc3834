// Temporary AWS credentials and the forms they are handed out in.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/secret.hpp"

#include <cstddef>
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

// --- the pieces every JSON form is written with ---
// Written by hand rather than through a JSON library so that the secrets are copied exactly
// once, into the result, and never into temporaries that outlive the call.

// Appends `value` as a JSON string literal (quotes included), escaped as Go's encoding/json does
// it, HTML-safe escapes of < > & included, so output matches the official helper byte for byte.
void append_json_string(std::string& out, std::string_view value);

// Appends "AccessKeyId":...,"SecretAccessKey":...,"<token_field>":...,"Expiration":...
// (no braces): the token is "SessionToken" in credential_process output, "Token" for IMDS.
void append_credential_fields(std::string& out, const Credentials& credentials,
                              std::string_view token_field);

// What to reserve before writing the credential fields and `other_bytes` of other text: room
// for every byte escaped as \u00XX, so the buffer holding the secrets never reallocates and
// leaves a stale copy behind in freed memory.
std::size_t credential_json_capacity(const Credentials& credentials, std::size_t other_bytes);

}  // namespace rolesanywhere
