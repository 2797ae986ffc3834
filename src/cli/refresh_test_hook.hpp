// Test hooks of serve and update, kept out of --help.
//
// `--refresh-before-expiry SECONDS`, a test hook of serve and update kept out of --help: refresh
// that long before expiry, without jitter, instead of 5 minutes (with up to 30 s of jitter), so
// tests can watch many refreshes of the 900-second sessions the service issues at the least.
#pragma once

#include "rolesanywhere/refresher.hpp"

#include <chrono>
#include <optional>
#include <vector>

namespace rolesanywhere::cli {

// Removes `--refresh-before-expiry SECONDS` and `--refresh-before-expiry=SECONDS` from args (so
// cxxopts neither sees nor lists it) and returns the last value given. Throws a usage Error when
// SECONDS is missing or not a whole number.
std::optional<std::chrono::seconds> take_refresh_before_expiry(std::vector<char*>& args);

// `--announce-after SECONDS`, serve's other test hook, taken the same way: how long serve waits
// for the first CreateSessions before it announces itself (2 s otherwise). Tests give it a long
// one so that, on a slow sanitizer build, each binding's outcome at start is the service's answer
// rather than "still pending".
std::optional<std::chrono::seconds> take_announce_after(std::vector<char*>& args);

// The default policy, or with the hook: refresh `refresh_before_expiry` before expiry, without
// jitter, looking at the clock every half second so a test does not wait on a sleep slice, and
// retrying failures at most 3 s apart (a refusal retried with --retry-errors included) instead
// of a minute.
RefreshPolicy refresh_policy(std::optional<std::chrono::seconds> refresh_before_expiry);

}  // namespace rolesanywhere::cli
