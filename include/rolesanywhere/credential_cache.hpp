// The credential cache shared between processes: credential-process runs once per AWS CLI
// command, and each run would otherwise cost a CreateSession. An entry per key (everything that
// shapes the answer) in a private directory; concurrent callers with the same key make one
// CreateSession (a lock per entry); an entry is encrypted and authenticated with a key only the
// holder of the private key can derive.
//
// The cache never fails a call: a directory or entry that is unsafe (another user could read or
// write it), unwritable or damaged means a fetch as without the cache, and the reason goes to
// the debug sink. Only an error from the fetch itself reaches the caller, and it is never cached.
//
// Files, all in the cache directory (0700, owned by the effective uid, not a symbolic link):
//   <id>          the entry (0600): written to a temporary file, fsynced and renamed over it
//   <id>.lock     holds no data (0600); an open-file-description lock on it is the single flight
//   .<id>.tmp-*   a write in progress; one left by a killed process is removed by the next write
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/secret.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere {

// Everything that shapes CreateSession's answer: another key, another entry.
struct CacheKey {
  std::string certificate_der;  // the leaf, DER: a renewed certificate never gets the old entry
  std::string chain_sent;       // what X-Amz-X509-Chain carries (Identity::chain_base64())
  std::string trust_anchor_arn;
  std::string profile_arn;
  std::string role_arn;
  std::string role_session_name;  // empty when none is sent
  int duration_seconds = 3600;
  // --instance-property: sent to the service, which may grant by them.
  std::map<std::string, std::string> instance_properties;
  // The resolved endpoint (resolve_endpoint(params).region and .url), so "--region" left out and
  // the same region given explicitly share an entry.
  std::string region;
  std::string endpoint_url;
  // How the answer was fetched (TLS verification, CA bundle, proxy): one fetched with weaker
  // checks, which a man in the middle could have answered, never reaches a run with stronger ones.
  std::string transport;
};

// certificate_der and chain_sent from the identity; the caller fills the session's fields.
CacheKey cache_key_for(const Identity& identity);

// Hex SHA-256 (64 characters) of an unambiguous encoding of the key (a version tag, then every
// field length-prefixed): the entry's file name. Not a secret.
std::string cache_entry_id(const CacheKey& key);

// The key an entry is encrypted with (32 bytes), derivable only by the holder of the private key:
// - a key whose private half can be encoded (key files): HKDF-SHA256 over its private encoding
//   (i2d_PrivateKey), the entry id in the info;
// - a key that cannot be exported and is RSA (a PKCS#11 token): HKDF-SHA256 over a PKCS#1 v1.5
//   signature, deterministic, of a fixed string naming the entry (one signature on the token);
// - a token EC key (ECDSA is randomised, nothing deterministic to derive from): nullopt, and the
//   entry is stored unencrypted, 0600.
// Throws Error(kCrypto) when the token's signature fails; the caller then fetches without the
// cache (the same failure will meet the CreateSession's signature).
std::optional<SecretString> cache_entry_key(const Identity& identity, std::string_view entry_id);

struct CacheOptions {
  std::filesystem::path directory;  // created 0700 (missing parents too) when missing; empty: no
                                    // cache (every call is kBypassed)
  std::chrono::seconds min_remaining{900};  // hand out only entries valid longer than this
  // How long to wait for another caller's fetch of the same entry before fetching on our own.
  std::chrono::milliseconds wait_for_other{20'000};
  DebugSink debug;  // lines starting "cache: ": hit, fetched, waited, why an entry was not used
};

enum class CacheOutcome {
  kHit,             // from the entry as found
  kFetched,         // a fetch of ours (stored when the cache could be written)
  kWaitedForOther,  // another caller's fetch, waited for on the entry's lock
  kBypassed,        // the cache could not be used (see debug); a fetch as without it
};

struct CachedCredentials {
  Credentials credentials;
  CacheOutcome outcome;
};

// Credentials from the entry when they stay valid for more than options.min_remaining at
// clock.now(); otherwise, under an exclusive lock on the entry, `fetch` runs, its result is stored
// and returned. Concurrent callers with the same id (threads or processes) make one fetch: the
// others wait on the lock (at most options.wait_for_other, then fetch on their own) and read the
// fresh entry; a caller that waited takes what the other fetched even when its session is shorter
// than min_remaining, as long as it has not expired. Calls with different ids never wait for each
// other.
//
// `entry_key` (cache_entry_key): present, entries are encrypted with it and only encrypted entries
// are read; absent, entries are plain JSON (0600) and only plain entries are read.
//
// Never throws for the cache's sake; an exception from `fetch` propagates, nothing is stored.
// `entry_id` must be what cache_entry_id returns (anything else is bypassed).
CachedCredentials fetch_through_cache(const CacheOptions& options, const std::string& entry_id,
                                      const std::optional<SecretString>& entry_key,
                                      const std::function<Credentials()>& fetch,
                                      const Clock& clock);

// credential-process's use of the cache: the entry for the provider's identity, session and
// transport (the endpoint resolved, so an explicit --region equal to the default shares an entry),
// keyed with cache_entry_key, and the provider's fetch on a miss. A token that fails the signature
// the entry key needs is answered without the cache (the CreateSession will say what is wrong).
CachedCredentials fetch_through_cache(RolesAnywhereProvider& provider,
                                      const TransportOptions& transport,
                                      const CacheOptions& options, const Clock& clock);

// $XDG_CACHE_HOME/rolesanywhere-helper when XDG_CACHE_HOME is set to an absolute path (the XDG
// spec ignores a relative one), else $HOME/.cache/rolesanywhere-helper; nullopt when neither
// applies. Pure: the CLI passes getenv("XDG_CACHE_HOME") and getenv("HOME").
std::optional<std::filesystem::path> default_cache_directory(const char* xdg_cache_home,
                                                             const char* home);

}  // namespace rolesanywhere
