// fetch_through_cache: look without the lock (a hit costs one open and one read), else take the
// entry's lock, look again (another caller may have fetched meanwhile), fetch and store.
#include "cache_entry.hpp"
#include "cache_files.hpp"

#include "rolesanywhere/credential_cache.hpp"

#include <exception>

namespace rolesanywhere {
namespace {

using cache_detail::EntryFile;
using cache_detail::EntryLock;

bool is_entry_id(const std::string& id) {
  return id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Which session an entry held, to tell another caller's fresh fetch from what was there before.
struct Stamp {
  std::string access_key_id;
  TimePoint expiration;
  bool operator==(const Stamp&) const = default;
};

struct Look {
  std::optional<Credentials> usable;  // valid long enough
  bool unsafe = false;                // not to be used nor replaced: bypass the cache
  std::string why_not;                // when not usable: for the debug line
  std::optional<Stamp> seen;          // the session found, usable or not
};

class CacheRun {
 public:
  CacheRun(const CacheOptions& options, const std::string& entry_id,
           const std::optional<SecretString>& entry_key, const Clock& clock)
      : options_(options),
        id_(entry_id),
        key_(entry_key),
        clock_(clock),
        shown_("entry " + entry_id.substr(0, 12)) {}

  void say(const std::string& line) const { debug(options_.debug, "cache: " + line); }
  const std::string& shown() const { return shown_; }

  std::string validity(const Credentials& credentials) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::seconds>(credentials.expiration - clock_.now());
    return "valid until " + format_iso8601(credentials.expiration) + " (" +
           std::to_string(left.count()) + " s left)";
  }

  // The entry as it is now. With `other_fetch_since` (we waited for another caller), a session
  // other than that one is taken while it has not expired, however short it is: it is the one
  // the other caller fetched, and fetching again would not make ours longer.
  Look look(int directory_fd, const std::optional<std::optional<Stamp>>& other_fetch_since) const {
    Look result;
    EntryFile file = cache_detail::read_entry_file(directory_fd, id_);
    const WipeOnExit wipe_bytes(file.bytes);
    switch (file.status) {
      case EntryFile::Status::kMissing:
        result.why_not = "no " + shown_;
        return result;
      case EntryFile::Status::kUnsafe:
        result.unsafe = true;
        result.why_not = shown_ + " is not used, and left as it is: " + file.problem;
        return result;
      case EntryFile::Status::kDamaged:
      case EntryFile::Status::kError:
        result.why_not = shown_ + " is not usable (" + file.problem + ")";
        return result;
      case EntryFile::Status::kRead:
        break;
    }
    cache_detail::DecodedEntry decoded = cache_detail::decode_entry(file.bytes, id_, key_);
    if (!decoded.credentials) {
      result.why_not = shown_ + " is not usable (" + decoded.problem + ")";
      return result;
    }
    Credentials& credentials = *decoded.credentials;
    result.seen = Stamp{credentials.access_key_id, credentials.expiration};
    const auto left = credentials.expiration - clock_.now();
    const bool fresh_from_other = other_fetch_since && *other_fetch_since != result.seen;
    if (left > options_.min_remaining || (fresh_from_other && left > std::chrono::seconds(0))) {
      result.usable = std::move(credentials);
      return result;
    }
    result.why_not = shown_ + " is " + validity(credentials) + ", not more than the " +
                     std::to_string(options_.min_remaining.count()) + " s wanted";
    return result;
  }

  // Stores the fetched credentials; says what happened.
  void store(int directory_fd, const Credentials& credentials, bool locked) const {
    std::optional<std::string> problem;
    try {
      if (locked) cache_detail::remove_stale_temporaries(directory_fd, id_);
      std::string bytes = cache_detail::encode_entry(credentials, id_, key_);
      const WipeOnExit wipe_bytes(bytes);
      problem = cache_detail::write_entry_file(directory_fd, id_, bytes);
    } catch (const std::exception& error) {
      problem = error.what();  // Error messages here never hold a secret
    }
    if (problem) {
      say("fetched a new session; could not store " + shown_ + ": " + *problem);
      return;
    }
    std::string line = "fetched a new session; stored " + shown_ +
                       (key_ ? " (encrypted)" : " (unencrypted: this key allows no entry key)") +
                       ", " + validity(credentials);
    if (credentials.expiration - clock_.now() <= options_.min_remaining)
      line += "; that is not more than the " + std::to_string(options_.min_remaining.count()) +
              " s wanted, so the next call fetches again";
    say(line);
  }

 private:
  const CacheOptions& options_;
  const std::string& id_;
  const std::optional<SecretString>& key_;
  const Clock& clock_;
  std::string shown_;
};

}  // namespace

CachedCredentials fetch_through_cache(const CacheOptions& options, const std::string& entry_id,
                                      const std::optional<SecretString>& entry_key,
                                      const std::function<Credentials()>& fetch,
                                      const Clock& clock) {
  const CacheRun run(options, entry_id, entry_key, clock);
  const auto bypass = [&](const std::string& why) {
    run.say(why + "; fetching without the cache");
    return CachedCredentials{fetch(), CacheOutcome::kBypassed};
  };
  if (!is_entry_id(entry_id)) return bypass("not a cache entry id");

  // Everything the cache does is kept apart from `fetch`: a failure of the cache's own becomes
  // a bypass, an error from fetch propagates untouched.
  cache_detail::OpenedDirectory directory;
  Look first;
  try {
    directory = cache_detail::open_cache_directory(options.directory);
    if (directory.fd) first = run.look(directory.fd.get(), std::nullopt);
  } catch (const std::exception& error) {
    return bypass(std::string("the cache failed: ") + error.what());
  }
  if (!directory.fd) return bypass(directory.problem);
  if (first.usable) {
    run.say("hit: " + run.shown() + " in " + options.directory.string() + ", " +
            run.validity(*first.usable));
    return {std::move(*first.usable), CacheOutcome::kHit};
  }
  if (first.unsafe) return bypass(first.why_not);
  run.say(first.why_not + "; fetching a new session");

  std::optional<EntryLock> lock;
  Look again;
  try {
    lock.emplace(directory.fd.get(), entry_id, options.wait_for_other, [&run] {
      run.say("another caller is fetching " + run.shown() + "; waiting for it");
    });
    // An entry that changed since our first look is another caller's fresh fetch, whether we
    // waited for its lock or it finished just before we took it: taken even when its session is
    // shorter than min_remaining, so such sessions still make one CreateSession between callers.
    if (lock->held())
      again = run.look(directory.fd.get(), std::optional<std::optional<Stamp>>(first.seen));
  } catch (const std::exception& error) {
    return bypass(std::string("the cache failed: ") + error.what());
  }
  const std::string waited = std::to_string(lock->waited().count()) + " ms";
  switch (lock->status()) {
    case EntryLock::Status::kUnusable:
      return bypass(run.shown() + ": " + lock->problem());
    case EntryLock::Status::kTimedOut: {
      run.say("gave up waiting after " + waited + " for another caller's fetch of " + run.shown() +
              "; fetching on our own");
      CachedCredentials fetched{fetch(), CacheOutcome::kFetched};
      run.store(directory.fd.get(), fetched.credentials, /*locked=*/false);
      return fetched;
    }
    case EntryLock::Status::kLocked:
    case EntryLock::Status::kLockedAfterWait:
      break;
  }
  const bool after_wait = lock->status() == EntryLock::Status::kLockedAfterWait;
  if (again.usable) {
    run.say(std::string(after_wait ? "waited " + waited + " for another caller's session: "
                                   : "hit after all (another caller stored it meanwhile): ") +
            run.shown() + ", " + run.validity(*again.usable));
    return {std::move(*again.usable),
            after_wait ? CacheOutcome::kWaitedForOther : CacheOutcome::kHit};
  }
  if (again.unsafe) return bypass(again.why_not);
  if (after_wait) run.say("waited " + waited + ", and still " + again.why_not);
  CachedCredentials fetched{fetch(), CacheOutcome::kFetched};  // under the lock: single flight
  run.store(directory.fd.get(), fetched.credentials, /*locked=*/true);
  return fetched;
}

}  // namespace rolesanywhere
