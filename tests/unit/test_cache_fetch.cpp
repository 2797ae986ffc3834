// fetch_through_cache: hits inside the window, fetches past it; damaged, foreign and other keys'
// entries are replaced; unsafe directories and entries are bypassed and left alone; a read-only
// directory still answers; fetch errors are not cached; no secret in any file or debug line; one
// fetch for many concurrent callers (threads and processes), and a bounded wait.
#include "test_identity_fixtures.hpp"

#include "rolesanywhere/credential_cache.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/unique_fd.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

using namespace rolesanywhere;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 10h;

std::string secret_of(int n) { return "wJalrXUtnFEMI/K7MDENG/SECRET-" + std::to_string(n) + "-x"; }
std::string token_of(int n) {
  return "IQoJb3JpZ2luX2VjE/TOKEN-" + std::to_string(n) + std::string(600, 'T');
}

Credentials make_credentials(int n, TimePoint expiration) {
  Credentials credentials;
  credentials.access_key_id = "ASIAEXAMPLE" + std::to_string(n);
  credentials.secret_access_key = SecretString(secret_of(n));
  credentials.session_token = SecretString(token_of(n));
  credentials.expiration = expiration;
  return credentials;
}

SecretString test_key(char fill) { return SecretString(std::string(32, fill)); }

std::string id_of(const std::string& role) {
  CacheKey key;
  key.certificate_der = "certificate";
  key.role_arn = role;
  return cache_entry_id(key);
}

// A fetch that counts its calls and hands out credentials numbered by the count, valid for
// `lifetime` from kNow.
struct CountingFetch {
  std::atomic<int> calls{0};
  std::chrono::seconds lifetime{3600};
  std::chrono::milliseconds delay{0};
  std::function<Credentials()> function() {
    return [this] {
      const int n = ++calls;
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
      return make_credentials(n, kNow + lifetime);
    };
  }
};

// Debug lines, collected from any thread.
struct DebugLines {
  std::mutex mutex;
  std::vector<std::string> lines;
  DebugSink sink() {
    return [this](std::string_view line) {
      const std::lock_guard<std::mutex> lock(mutex);
      lines.emplace_back(line);
    };
  }
  std::string text() {
    const std::lock_guard<std::mutex> lock(mutex);
    std::string all;
    for (const auto& line : lines) all += line + "\n";
    return all;
  }
  bool says(const std::string& part) { return text().find(part) != std::string::npos; }
};

CacheOptions options_for(const fs::path& directory, DebugLines& lines) {
  CacheOptions options;
  options.directory = directory;
  options.wait_for_other = 5s;
  options.debug = lines.sink();
  return options;
}

fs::path new_cache_dir(const std::string& name) {
  const fs::path path = fs::path(identity_test::scratch(name)) / "rolesanywhere-helper";
  fs::remove_all(path.parent_path());
  return path;
}

std::string bytes_of(const fs::path& path) { return identity_test::read_file(path.string()); }

void write_bytes(const fs::path& path, std::string_view bytes) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  REQUIRE(fd);
  REQUIRE(::write(fd.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

mode_t mode_of(const fs::path& path) {
  struct stat status {};
  REQUIRE(::lstat(path.c_str(), &status) == 0);
  return status.st_mode & 07777;
}

// Every file name in the directory with its bytes.
std::map<std::string, std::string> snapshot(const fs::path& directory) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(directory))
    files[entry.path().filename().string()] =
        entry.is_regular_file() ? bytes_of(entry.path()) : "<not a file>";
  return files;
}

void check_no_secret_in(const std::string& text, int up_to) {
  for (int n = 1; n <= up_to; ++n) {
    CHECK(text.find(secret_of(n)) == std::string::npos);
    CHECK(text.find("SECRET-" + std::to_string(n)) == std::string::npos);
    CHECK(text.find("TOKEN-" + std::to_string(n)) == std::string::npos);
  }
}

// Holds the entry's lock as another process fetching would.
UniqueFd hold_lock(const fs::path& directory, const std::string& id) {
  UniqueFd fd(::open((directory / (id + ".lock")).c_str(), O_RDWR | O_CREAT, 0600));
  REQUIRE(fd);
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_len = 1;
  REQUIRE(::fcntl(fd.get(), F_OFD_SETLK, &range) == 0);
  return fd;
}

}  // namespace

TEST_CASE("cache fetch: a second call within the window is a hit; the files are private") {
  const fs::path dir = new_cache_dir("hit");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::string id = id_of("hit");
  const std::optional<SecretString> key = test_key('k');

  const CachedCredentials first =
      fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
  CHECK(first.outcome == CacheOutcome::kFetched);
  CHECK(first.credentials.access_key_id == "ASIAEXAMPLE1");
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir / id) == 0600);
  CHECK(mode_of(dir / (id + ".lock")) == 0600);

  clock.advance(std::chrono::seconds(3600 - 901));  // 901 s left: more than the 900 wanted
  const CachedCredentials second =
      fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
  CHECK(second.outcome == CacheOutcome::kHit);
  CHECK(fetch.calls == 1);
  CHECK(second.credentials.access_key_id == "ASIAEXAMPLE1");
  CHECK(second.credentials.secret_access_key.reveal() == secret_of(1));
  CHECK(second.credentials.session_token.reveal() == token_of(1));
  CHECK(second.credentials.expiration == kNow + 3600s);
  CHECK(lines.says("hit: entry " + id.substr(0, 12)));
  check_no_secret_in(lines.text(), 1);
}

TEST_CASE("cache fetch: credentials with no more than min_remaining left are fetched again") {
  const fs::path dir = new_cache_dir("stale");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::string id = id_of("stale");
  const std::optional<SecretString> key = test_key('k');
  CacheOptions options = options_for(dir, lines);
  options.min_remaining = 600s;

  fetch_through_cache(options, id, key, fetch.function(), clock);
  clock.advance(3000s);    // exactly 600 s left
  fetch.lifetime = 6000s;  // the next session ends 3000 s from then
  const CachedCredentials again = fetch_through_cache(options, id, key, fetch.function(), clock);
  CHECK(again.outcome == CacheOutcome::kFetched);
  CHECK(fetch.calls == 2);
  CHECK(again.credentials.access_key_id == "ASIAEXAMPLE2");
  CHECK(lines.says("not more than the 600 s wanted"));
  // The new session replaced the entry.
  const CachedCredentials then = fetch_through_cache(options, id, key, fetch.function(), clock);
  CHECK(then.outcome == CacheOutcome::kHit);
  CHECK(then.credentials.access_key_id == "ASIAEXAMPLE2");
}

TEST_CASE("cache fetch: different ids are different entries") {
  const fs::path dir = new_cache_dir("ids");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::optional<SecretString> key = test_key('k');
  const auto a =
      fetch_through_cache(options_for(dir, lines), id_of("a"), key, fetch.function(), clock);
  const auto b =
      fetch_through_cache(options_for(dir, lines), id_of("b"), key, fetch.function(), clock);
  CHECK(fetch.calls == 2);
  CHECK(fetch_through_cache(options_for(dir, lines), id_of("a"), key, fetch.function(), clock)
            .credentials.access_key_id == a.credentials.access_key_id);
  CHECK(fetch_through_cache(options_for(dir, lines), id_of("b"), key, fetch.function(), clock)
            .credentials.access_key_id == b.credentials.access_key_id);
  CHECK(fetch.calls == 2);
}

TEST_CASE("cache fetch: corrupt, truncated, foreign and other keys' entries are replaced") {
  const fs::path dir = new_cache_dir("damaged");
  FixedClock clock(kNow);
  const std::string id = id_of("damaged");
  const std::string other_id = id_of("other");
  const std::optional<SecretString> key = test_key('k');

  // A good entry for another id, and one for this id to damage.
  {
    DebugLines lines;
    CountingFetch fetch;
    fetch_through_cache(options_for(dir, lines), other_id, key, fetch.function(), clock);
    fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
  }
  const std::string good = bytes_of(dir / id);
  const std::string other = bytes_of(dir / other_id);

  const std::vector<std::pair<std::string, std::string>> damaged = {
      {"garbage", "this is not an entry at all"},
      {"empty", ""},
      {"truncated", good.substr(0, good.size() / 2)},
      {"header only", good.substr(0, 8)},
      {"one byte flipped",
       [&] {
         std::string flipped = good;
         flipped[flipped.size() / 2] ^= 0x01;
         return flipped;
       }()},
      {"another entry copied over", other},
      {"future version",
       [&] {
         std::string future = good;
         future[4] = 9;
         return future;
       }()},
      {"unencrypted",
       [&] {
         std::string plain = good.substr(0, 8);
         plain[5] = 0;
         return plain + "{\"EntryId\":\"" + id +
                "\",\"AccessKeyId\":\"ASIAPLAIN\","
                "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":"
                "\"2030-01-01T00:00:00Z\"}";
       }()},
  };
  for (const auto& entry : damaged) {
    // Not a structured binding: clang 14 cannot capture one (CAPTURE makes a lambda).
    const auto& name = entry.first;
    const auto& bytes = entry.second;
    CAPTURE(name);
    write_bytes(dir / id, bytes);
    DebugLines lines;
    CountingFetch fetch;
    const auto result =
        fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
    CHECK(result.outcome == CacheOutcome::kFetched);
    CHECK(fetch.calls == 1);
    CHECK(lines.says("is not usable ("));
    CHECK(bytes_of(dir / id) != bytes);  // replaced
    CHECK(fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock).outcome ==
          CacheOutcome::kHit);
  }

  SUBCASE("an entry written with another key fails authentication") {
    DebugLines lines;
    CountingFetch fetch;
    const auto result =
        fetch_through_cache(options_for(dir, lines), id, test_key('z'), fetch.function(), clock);
    CHECK(result.outcome == CacheOutcome::kFetched);
    CHECK(lines.says("fails authentication"));
  }
}

TEST_CASE("cache fetch: a real key's entry copied to another key's cache yields nothing") {
  const Identity rsa = identity_test::load(identity_test::pki("rsa2048.crt.pem"),
                                           identity_test::pki("rsa2048.key.pem"));
  const Identity ec =
      identity_test::load(identity_test::pki("p256.crt.pem"), identity_test::pki("p256.key.pem"));
  const fs::path dir = new_cache_dir("copied");
  FixedClock clock(kNow);
  CacheKey cache_key = cache_key_for(rsa);
  const std::string id = cache_entry_id(cache_key);
  DebugLines lines;
  CountingFetch fetch;
  fetch_through_cache(options_for(dir, lines), id, cache_entry_key(rsa, id), fetch.function(),
                      clock);
  // The same file name, read by a caller holding the other key: it cannot be decrypted.
  const auto result = fetch_through_cache(options_for(dir, lines), id, cache_entry_key(ec, id),
                                          fetch.function(), clock);
  CHECK(result.outcome == CacheOutcome::kFetched);
  CHECK(fetch.calls == 2);
  CHECK(lines.says("fails authentication"));
}

TEST_CASE("cache fetch: a directory others could use is bypassed and left as it is") {
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::string id = id_of("unsafe");
  const std::optional<SecretString> key = test_key('k');

  SUBCASE("group or other bits") {
    for (const mode_t mode : {0770, 0707, 0750, 0705}) {
      CAPTURE(mode);
      const fs::path dir = new_cache_dir("unsafe-mode");
      fs::create_directories(dir);
      REQUIRE(::chmod(dir.c_str(), mode) == 0);
      const auto result =
          fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
      CHECK(result.outcome == CacheOutcome::kBypassed);
      CHECK(result.credentials.access_key_id.starts_with("ASIAEXAMPLE"));
      CHECK(mode_of(dir) == mode);
      CHECK(fs::is_empty(dir));
    }
    CHECK(fetch.calls == 4);
    CHECK(lines.says("lets group or others in"));
  }
  SUBCASE("another owner") {
    if (::geteuid() != 0) {
      WARN_MESSAGE(false, "SKIPPED: giving a directory to another owner needs root");
      return;
    }
    const fs::path dir = new_cache_dir("unsafe-owner");
    fs::create_directories(dir);
    REQUIRE(::chmod(dir.c_str(), 0700) == 0);
    REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
    const auto result =
        fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
    CHECK(result.outcome == CacheOutcome::kBypassed);
    CHECK(fs::is_empty(dir));
    CHECK(mode_of(dir) == 0700);
    CHECK(lines.says("belongs to uid 65534"));
  }
  SUBCASE("a symbolic link") {
    const fs::path dir = new_cache_dir("unsafe-link");
    const fs::path target = dir.parent_path() / "target";
    fs::create_directories(target);
    REQUIRE(::chmod(target.c_str(), 0700) == 0);
    fs::create_directory_symlink(target, dir);
    const auto result =
        fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
    CHECK(result.outcome == CacheOutcome::kBypassed);
    CHECK(fs::is_empty(target));
    CHECK(lines.says("is a symbolic link"));
  }
}

TEST_CASE("cache fetch: an entry others could read is bypassed and left as it is") {
  const fs::path dir = new_cache_dir("unsafe-entry");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::string id = id_of("unsafe-entry");
  const std::optional<SecretString> key = test_key('k');
  fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
  REQUIRE(::chmod((dir / id).c_str(), 0644) == 0);
  const std::string before = bytes_of(dir / id);

  const auto result =
      fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
  CHECK(result.outcome == CacheOutcome::kBypassed);
  CHECK(fetch.calls == 2);
  CHECK(bytes_of(dir / id) == before);
  CHECK(mode_of(dir / id) == 0644);
  CHECK(lines.says("left as it is: it is not private"));

  SUBCASE("a symbolic link as the entry") {
    fs::remove(dir / id);
    fs::create_symlink(dir / (id + ".lock"), dir / id);
    const auto linked =
        fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock);
    CHECK(linked.outcome == CacheOutcome::kBypassed);
    CHECK(fs::is_symlink(dir / id));
  }
}

TEST_CASE("cache fetch: a missing directory is created 0700 with its parents") {
  const fs::path dir = new_cache_dir("created") / "deeper";
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const auto result = fetch_through_cache(options_for(dir, lines), id_of("created"), test_key('k'),
                                          fetch.function(), clock);
  CHECK(result.outcome == CacheOutcome::kFetched);
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir.parent_path()) == 0700);
}

TEST_CASE("cache fetch: a read-only directory still answers, from the entry or by fetching") {
  // Root writes into a read-only directory regardless; the check then runs as nobody.
  const bool as_root = ::geteuid() == 0;
  char base_template[] = "/tmp/rolesanywhere-cache-ro-XXXXXX";
  REQUIRE(::mkdtemp(base_template) != nullptr);
  const fs::path base = base_template;
  REQUIRE(::chmod(base.c_str(), 0711) == 0);
  const fs::path dir = base / "cache";
  const std::string stored_id = id_of("stored");
  const std::string missing_id = id_of("missing");
  const std::optional<SecretString> key = test_key('k');
  FixedClock clock(kNow);
  {
    DebugLines lines;
    CountingFetch fetch;
    fetch_through_cache(options_for(dir, lines), stored_id, key, fetch.function(), clock);
  }
  if (as_root) {
    for (const auto& entry : fs::directory_iterator(dir))
      REQUIRE(::chown(entry.path().c_str(), 65534, 65534) == 0);
    REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
  }
  REQUIRE(::chmod(dir.c_str(), 0500) == 0);
  const auto before = snapshot(dir);

  // 0: as expected; otherwise which check failed.
  const auto check = [&]() -> int {
    DebugLines lines;
    CountingFetch fetch;
    const auto hit =
        fetch_through_cache(options_for(dir, lines), stored_id, key, fetch.function(), clock);
    if (hit.outcome != CacheOutcome::kHit || hit.credentials.access_key_id != "ASIAEXAMPLE1")
      return 2;
    const auto miss =
        fetch_through_cache(options_for(dir, lines), missing_id, key, fetch.function(), clock);
    if (miss.outcome != CacheOutcome::kBypassed || fetch.calls != 1 ||
        miss.credentials.access_key_id != "ASIAEXAMPLE1")
      return 3;
    if (!lines.says("cannot open the lock file")) return 4;
    return 0;
  };
  int result = -1;
  if (as_root) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(1);
      ::_exit(check());
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    result = WEXITSTATUS(status);
  } else {
    result = check();
  }
  CHECK(result == 0);
  CHECK(snapshot(dir) == before);
  ::chmod(dir.c_str(), 0700);
  fs::remove_all(base);
}

TEST_CASE("cache fetch: a fetch error propagates and is not cached") {
  const fs::path dir = new_cache_dir("error");
  DebugLines lines;
  FixedClock clock(kNow);
  const std::string id = id_of("error");
  const std::optional<SecretString> key = test_key('k');
  int calls = 0;
  const auto failing = [&calls]() -> Credentials {
    ++calls;
    throw ServiceError(403, "AccessDeniedException", "no");
  };
  CHECK_THROWS_AS(fetch_through_cache(options_for(dir, lines), id, key, failing, clock),
                  ServiceError);
  CHECK_FALSE(fs::exists(dir / id));
  CHECK_THROWS_AS(fetch_through_cache(options_for(dir, lines), id, key, failing, clock),
                  ServiceError);
  CHECK(calls == 2);
  CountingFetch fetch;
  CHECK(fetch_through_cache(options_for(dir, lines), id, key, fetch.function(), clock).outcome ==
        CacheOutcome::kFetched);
}

TEST_CASE("cache fetch: with an entry key no file holds the secret key or the session token") {
  const fs::path dir = new_cache_dir("secrets");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  for (const char* role : {"one", "two", "three"})
    fetch_through_cache(options_for(dir, lines), id_of(role), test_key('k'), fetch.function(),
                        clock);
  REQUIRE(fetch.calls == 3);
  std::size_t files = 0;
  for (const auto& file : snapshot(dir)) {
    const auto& name = file.first;  // not a structured binding: CAPTURE makes a lambda
    const auto& bytes = file.second;
    CAPTURE(name);
    ++files;
    check_no_secret_in(bytes, 3);
    CHECK(bytes.find("ASIAEXAMPLE") == std::string::npos);
  }
  CHECK(files == 6);  // three entries, three lock files, no temporary left
  check_no_secret_in(lines.text(), 3);
}

TEST_CASE("cache fetch: without an entry key the entry is plain and private, and still a hit") {
  const fs::path dir = new_cache_dir("plain");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::string id = id_of("plain");
  fetch_through_cache(options_for(dir, lines), id, std::nullopt, fetch.function(), clock);
  CHECK(mode_of(dir / id) == 0600);
  CHECK(bytes_of(dir / id).find(secret_of(1)) != std::string::npos);
  CHECK(lines.says("unencrypted"));
  CHECK(fetch_through_cache(options_for(dir, lines), id, std::nullopt, fetch.function(), clock)
            .outcome == CacheOutcome::kHit);
  // An encrypting caller does not take the plain entry: it replaces it.
  CHECK(fetch_through_cache(options_for(dir, lines), id, test_key('k'), fetch.function(), clock)
            .outcome == CacheOutcome::kFetched);
  check_no_secret_in(bytes_of(dir / id), 2);
  check_no_secret_in(lines.text(), 2);
}

TEST_CASE("cache fetch: temporary files a killed writer left are removed by the next write") {
  const fs::path dir = new_cache_dir("stale-temporary");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::string id = id_of("stale-temporary");
  fs::create_directories(dir);
  REQUIRE(::chmod(dir.c_str(), 0700) == 0);
  const fs::path old_temporary = dir / ("." + id + ".tmp-1-dead");
  const fs::path young_temporary = dir / ("." + id + ".tmp-2-busy");
  write_bytes(old_temporary, "half an entry");
  write_bytes(young_temporary, "a write in progress");
  const struct timespec times[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, old_temporary.c_str(), times, 0) == 0);
  fetch_through_cache(options_for(dir, lines), id, test_key('k'), fetch.function(), clock);
  CHECK_FALSE(fs::exists(old_temporary));
  CHECK(fs::exists(young_temporary));
}

TEST_CASE("cache fetch: concurrent threads on a cold cache make one fetch") {
  for (const auto lifetime : {3600s, 300s}) {
    // 300 s: shorter than min_remaining; the waiters still take the session the first fetched.
    CAPTURE(lifetime.count());
    const fs::path dir = new_cache_dir("threads");
    DebugLines lines;
    CountingFetch fetch;
    fetch.lifetime = lifetime;
    fetch.delay = 300ms;
    FixedClock clock(kNow);
    const std::string id = id_of("threads");
    constexpr int kThreads = 8;
    std::latch start(kThreads);
    std::vector<CachedCredentials> results(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = fetch_through_cache(options_for(dir, lines), id, test_key('k'),
                                         fetch.function(), clock);
      });
    for (auto& thread : threads) thread.join();
    CHECK(fetch.calls == 1);
    int fetched = 0;
    for (const auto& result : results) {
      CHECK(result.credentials.access_key_id == "ASIAEXAMPLE1");
      CHECK(result.credentials.session_token.reveal() == token_of(1));
      if (result.outcome == CacheOutcome::kFetched) ++fetched;
      CHECK(result.outcome != CacheOutcome::kBypassed);
    }
    CHECK(fetched == 1);
    CHECK(lines.says("waiting for it"));
    CHECK(lines.says("for another caller's session"));
  }
}

TEST_CASE("cache fetch: concurrent processes on a cold cache make one fetch") {
  const fs::path dir = new_cache_dir("processes");
  const fs::path counter = dir.parent_path() / "fetches";
  const fs::path answers = dir.parent_path() / "answers";
  fs::create_directories(dir.parent_path());
  const std::string id = id_of("processes");
  constexpr int kProcesses = 6;
  int gate[2];
  REQUIRE(::pipe(gate) == 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(gate[1]);
      char byte;
      (void)!::read(gate[0], &byte, 1);  // returns when the parent closes its end: all start
      FixedClock clock(kNow);
      CacheOptions options;
      options.directory = dir;
      options.wait_for_other = 10s;
      const auto fetch = [&] {
        const UniqueFd fd(::open(counter.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600));
        (void)!::write(fd.get(), "x", 1);
        std::this_thread::sleep_for(300ms);
        return make_credentials(100 + i, kNow + 3600s);
      };
      try {
        const auto result = fetch_through_cache(options, id, test_key('k'), fetch, clock);
        const std::string line = result.credentials.access_key_id + " " +
                                 std::to_string(static_cast<int>(result.outcome)) + "\n";
        const UniqueFd fd(::open(answers.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600));
        (void)!::write(fd.get(), line.data(), line.size());
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(child);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (const pid_t child : children) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(bytes_of(counter) == "x");
  std::istringstream lines(bytes_of(answers));
  std::string access_key_id;
  int outcome = 0;
  std::set<std::string> keys;
  int count = 0;
  int fetched = 0;
  while (lines >> access_key_id >> outcome) {
    ++count;
    keys.insert(access_key_id);
    if (outcome == static_cast<int>(CacheOutcome::kFetched)) ++fetched;
  }
  CHECK(count == kProcesses);
  CHECK(keys.size() == 1);
  CHECK(fetched == 1);
}

TEST_CASE("cache fetch: a waiting caller gives up after wait_for_other and fetches itself") {
  const fs::path dir = new_cache_dir("give-up");
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  const std::string id = id_of("give-up");
  fs::create_directories(dir);
  REQUIRE(::chmod(dir.c_str(), 0700) == 0);
  CacheOptions options = options_for(dir, lines);
  options.wait_for_other = 150ms;
  {
    const UniqueFd held = hold_lock(dir, id);  // a fetch in another process that never ends
    const auto started = std::chrono::steady_clock::now();
    const auto result = fetch_through_cache(options, id, test_key('k'), fetch.function(), clock);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(result.outcome == CacheOutcome::kFetched);
    CHECK(fetch.calls == 1);
    CHECK(took >= 150ms);
    CHECK(took < 3s);
    CHECK(lines.says("gave up waiting after"));

    // Another entry's lock is another file: no wait at all.
    options.wait_for_other = 5s;
    const auto other_started = std::chrono::steady_clock::now();
    fetch_through_cache(options, id_of("not-waiting"), test_key('k'), fetch.function(), clock);
    CHECK(std::chrono::steady_clock::now() - other_started < 2s);
  }
  // What it fetched was stored.
  CHECK(fetch_through_cache(options, id, test_key('k'), fetch.function(), clock).outcome ==
        CacheOutcome::kHit);
}

TEST_CASE("cache fetch: no directory, or not an entry id, means no cache") {
  DebugLines lines;
  CountingFetch fetch;
  FixedClock clock(kNow);
  CHECK(fetch_through_cache(options_for({}, lines), id_of("x"), test_key('k'), fetch.function(),
                            clock)
            .outcome == CacheOutcome::kBypassed);
  const fs::path dir = new_cache_dir("bad-id");
  CHECK(fetch_through_cache(options_for(dir, lines), "../../etc/passwd", test_key('k'),
                            fetch.function(), clock)
            .outcome == CacheOutcome::kBypassed);
  CHECK(fetch.calls == 2);
  CHECK_FALSE(fs::exists(dir));
}
