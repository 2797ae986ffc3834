// The IMDSv2 session tokens the endpoint has handed out. A client PUTs for a token with a TTL
// and then presents it on every GET; this store remembers which tokens are live until when.
//
// Bounded: at most `capacity` tokens live at once, so a client looping on PUT cannot grow the
// process; the one that expires earliest makes room. Expired tokens are purged on every insert.
// Only a SHA-256 digest of each token is kept: a dump of the process does not yield usable
// tokens, and a lookup does not compare secret bytes in a data-dependent way.
#pragma once

#include "rolesanywhere/clock.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::serve {

class TokenStore {
 public:
  // The official helper keeps 256; so do we by default.
  static constexpr std::size_t kDefaultCapacity = 256;

  explicit TokenStore(std::size_t capacity = kDefaultCapacity);

  // A fresh random token (48 bytes from RAND_bytes, base64url: 64 characters) that is valid
  // until now + ttl. Throws Error(kInternal) if the random generator fails.
  std::string issue(std::chrono::seconds ttl, TimePoint now);

  // Whole seconds the token has left, or nullopt when it is unknown or expired.
  std::optional<std::chrono::seconds> remaining(std::string_view token, TimePoint now) const;

  // Drops every token that expired at or before `now`; returns how many.
  std::size_t purge_expired(TimePoint now);

  std::size_t size() const;
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest_of(std::string_view token);
  void evict_earliest_expiring();  // mutex_ held

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<Digest, TimePoint> expirations_;
};

}  // namespace rolesanywhere::serve
