// The IMDSv2 token store: random tokens, TTLs by the injected time, bounded size, purging.
#include "serve/token_store.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <set>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;
using namespace std::chrono_literals;

namespace {
const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));
}

TEST_CASE("serve tokens: a token is 64 base64url characters and differs every time") {
  TokenStore store;
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string token = store.issue(60s, kStart);
    CHECK(std::regex_match(token, std::regex("[A-Za-z0-9_-]{64}")));
    seen.insert(token);
  }
  CHECK(seen.size() == 50);
}

TEST_CASE("serve tokens: valid until the TTL runs out and remaining counts down") {
  TokenStore store;
  const std::string token = store.issue(100s, kStart);
  CHECK(store.remaining(token, kStart) == 100s);
  CHECK(store.remaining(token, kStart + 40s) == 60s);
  CHECK(store.remaining(token, kStart + 99s) == 1s);
  CHECK_FALSE(store.remaining(token, kStart + 100s));
  CHECK_FALSE(store.remaining(token, kStart + 1000s));
}

TEST_CASE("serve tokens: unknown empty and altered tokens are refused") {
  TokenStore store;
  std::string token = store.issue(100s, kStart);
  CHECK_FALSE(store.remaining("", kStart));
  CHECK_FALSE(store.remaining("not-a-token", kStart));
  token[10] = token[10] == 'A' ? 'B' : 'A';
  CHECK_FALSE(store.remaining(token, kStart));
  CHECK_FALSE(store.remaining(token.substr(0, 63), kStart));
}

TEST_CASE("serve tokens: at capacity the earliest expiring token makes room") {
  TokenStore store(3);
  const std::string long_lived = store.issue(300s, kStart);
  const std::string short_lived = store.issue(10s, kStart);
  const std::string medium = store.issue(100s, kStart);
  CHECK(store.size() == 3);
  const std::string newest = store.issue(50s, kStart);
  CHECK(store.size() == 3);
  CHECK_FALSE(store.remaining(short_lived, kStart));  // evicted, though not expired
  CHECK(store.remaining(long_lived, kStart));
  CHECK(store.remaining(medium, kStart));
  CHECK(store.remaining(newest, kStart));
}

TEST_CASE("serve tokens: expired tokens are purged before anything live is evicted") {
  // Two expired and one live token in a store of three: the insert purges both expired ones,
  // so nothing live is evicted and two remain. Eviction alone would leave three.
  TokenStore store(3);
  const std::string expiring = store.issue(5s, kStart);
  store.issue(6s, kStart);
  const std::string live = store.issue(300s, kStart);
  const std::string fresh = store.issue(300s, kStart + 10s);
  CHECK(store.size() == 2);
  CHECK(store.remaining(live, kStart + 10s));
  CHECK(store.remaining(fresh, kStart + 10s));
  CHECK_FALSE(store.remaining(expiring, kStart + 1s));
}

TEST_CASE("serve tokens: purge_expired drops only what has expired") {
  TokenStore store;
  store.issue(5s, kStart);
  store.issue(10s, kStart);
  const std::string keeper = store.issue(60s, kStart);
  CHECK(store.purge_expired(kStart + 10s) == 2);
  CHECK(store.size() == 1);
  CHECK(store.remaining(keeper, kStart + 10s) == 50s);
}

TEST_CASE("serve tokens: a flood of PUTs never grows the store past its capacity") {
  TokenStore store;
  for (int i = 0; i < 1000; ++i) store.issue(21600s, kStart + std::chrono::seconds(i));
  CHECK(store.size() == TokenStore::kDefaultCapacity);
}
