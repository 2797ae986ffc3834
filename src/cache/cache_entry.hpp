// The bytes of an entry file:
//
//   "RAHC" | version (1) | scheme (0: plain, 1: AES-256-GCM) | 0 | 0      the 8-byte header
//   scheme 1: nonce (12, random per write) | ciphertext | tag (16); AAD = header | entry id
//   scheme 0: the document itself
//
// The document is JSON: {"EntryId":...,"AccessKeyId":...,"SecretAccessKey":...,
// "SessionToken":...,"Expiration":...}. An entry is read only in the scheme the caller expects (an
// encrypted one with a key, a plain one without), so a plain entry never stands in for an
// encrypted one.
#pragma once

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/secret.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::cache_detail {

// Entries larger than this are not entries (a session token is a few kilobytes).
inline constexpr std::size_t kMaxEntryBytes = 64 * 1024;

// The file's bytes; with `key`, none of them is a secret.
std::string encode_entry(const Credentials& credentials, std::string_view entry_id,
                         const std::optional<SecretString>& key);

struct DecodedEntry {
  std::optional<Credentials> credentials;
  std::string problem;  // why there are none: "truncated", "fails authentication ..."; no secret
};
DecodedEntry decode_entry(std::string_view bytes, std::string_view entry_id,
                          const std::optional<SecretString>& key);

}  // namespace rolesanywhere::cache_detail
