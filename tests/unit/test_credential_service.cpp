// What serve and update do when their first CreateSession fails, and serve's container token file.
#include "serve/container_token.hpp"

#include "rolesanywhere/credential_service.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <stop_token>
#include <thread>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;

using Outcome = FirstFetch::Outcome;

namespace {
template <typename E>
Outcome first_outcome(const E& error, bool refusal_stops = true) {
  FirstFetch first;
  return first.run([&] { throw error; }, refusal_stops);
}
}  // namespace

TEST_CASE("first fetch: refusals stop, an unreachable or overloaded service keeps trying") {
  CHECK(first_outcome(Error(Error::Kind::kTransport, "connection refused")) == Outcome::kRetrying);
  CHECK(first_outcome(ServiceError(503, "", "")) == Outcome::kRetrying);
  CHECK(first_outcome(ServiceError(500, "InternalServerException", "")) == Outcome::kRetrying);
  CHECK(first_outcome(ServiceError(429, "ThrottlingException", "")) == Outcome::kRetrying);
  CHECK(first_outcome(Error(Error::Kind::kService, "malformed body")) == Outcome::kRetrying);

  CHECK(first_outcome(ServiceError(403, "AccessDeniedException", "untrusted")) ==
        Outcome::kRejected);
  CHECK(first_outcome(ServiceError(400, "ValidationException", "")) == Outcome::kRejected);
  CHECK(first_outcome(Error(Error::Kind::kCrypto, "expired")) == Outcome::kRejected);
  CHECK(first_outcome(Error(Error::Kind::kInput, "no file")) == Outcome::kRejected);
  CHECK(first_outcome(Error(Error::Kind::kInvalidArgument, "bad")) == Outcome::kRejected);

  // update --retry-errors: a refusal is retried too.
  CHECK(first_outcome(ServiceError(403, "AccessDeniedException", "untrusted"), false) ==
        Outcome::kRetrying);
}

TEST_CASE("serve first fetch: each way the first CreateSession ends is handed over") {
  SUBCASE("credentials") {
    FirstFetch first;
    CHECK(first.run([] {}) == Outcome::kSucceeded);
    CHECK(first.outcome() == Outcome::kSucceeded);
    CHECK(first.failure_message().empty());
  }
  SUBCASE("an outage is retried") {
    FirstFetch first;
    CHECK(first.run([] { throw ServiceError(503, "", "busy"); }) == Outcome::kRetrying);
    CHECK(first.failure_message() == "HTTP 503: busy");
  }
  SUBCASE("a rejection is rethrown as it was thrown") {
    FirstFetch first;
    CHECK(first.run([] { throw ServiceError(403, "AccessDeniedException", "untrusted"); }) ==
          Outcome::kRejected);
    try {
      first.rethrow_rejection();
      FAIL("no error");
    } catch (const ServiceError& e) {
      CHECK(e.http_status() == 403);
      CHECK(std::string(e.what()) == "AccessDeniedException: untrusted");
    }
  }
  SUBCASE("a stop is neither a failure nor a rejection") {
    FirstFetch first;
    CHECK(first.run([] { throw Error(Error::Kind::kCancelled, "stopped"); }) ==
          Outcome::kCancelled);
    CHECK(first.failure_message().empty());
  }
  SUBCASE("an exception that is not ours stops serve rather than looping") {
    FirstFetch first;
    CHECK(first.run([] { throw std::runtime_error("surprise"); }) == Outcome::kRejected);
    CHECK_THROWS_WITH(first.rethrow_rejection(), "surprise");
  }
}

TEST_CASE("serve first fetch: a refusal on a retry ends a wait on the retrying outcome") {
  FirstFetch first;
  REQUIRE(first.run([] { throw ServiceError(503, "", "busy"); }) == Outcome::kRetrying);
  std::thread refresher([&] {
    try {
      throw ServiceError(403, "AccessDeniedException", "untrusted");
    } catch (const ServiceError& e) {
      first.reject(std::current_exception(), e.what());
    }
  });
  CHECK(first.wait_for_change(Outcome::kRetrying, std::chrono::hours(1), {}) == Outcome::kRejected);
  refresher.join();
  CHECK(first.failure_message() == "AccessDeniedException: untrusted");
  CHECK_THROWS_AS(first.rethrow_rejection(), ServiceError);
}

TEST_CASE("serve first fetch: waiting ends on the outcome or the time limit or a stop") {
  FirstFetch first;
  // Nothing has run: the wait ends at its limit with the outcome still pending.
  CHECK(first.wait_for_change(Outcome::kPending, std::chrono::milliseconds(20), {}) ==
        Outcome::kPending);

  std::stop_source stop;
  stop.request_stop();
  CHECK(first.wait_for_change(Outcome::kPending, std::chrono::hours(1), stop.get_token()) ==
        Outcome::kPending);

  // A fetch on another thread ends a wait that would otherwise last an hour.
  std::atomic<bool> release{false};
  std::thread fetcher([&] {
    first.run([&] {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  });
  release = true;
  CHECK(first.wait_for_change(Outcome::kPending, std::chrono::hours(1), {}) == Outcome::kSucceeded);
  fetcher.join();
}

namespace {
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("serve-token-test-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST_CASE("serve container token: a missing file is created 0600 with a random token") {
  TempDir dir;
  const std::string file = (dir.path / "token").string();
  const SecretString created = read_or_create_container_token(file);
  CHECK(created.size() == 64);
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(read_or_create_container_token(file) == created);
  std::filesystem::remove(file);
  CHECK_FALSE(read_or_create_container_token(file) == created);
}

TEST_CASE("serve container token: an existing file is read without its line end") {
  TempDir dir;
  const std::string file = (dir.path / "token").string();
  std::ofstream(file) << "my-long-token-value\r\n";
  CHECK(read_or_create_container_token(file).reveal() == "my-long-token-value");
  std::ofstream(file) << "abc\n";
  CHECK_THROWS_WITH_AS(read_or_create_container_token(file),
                       doctest::Contains("3 characters long, too easy to guess"), Error);
  std::ofstream(file) << "\n";
  CHECK_THROWS_WITH_AS(read_or_create_container_token(file), doctest::Contains("empty"), Error);
  std::ofstream(file) << std::string(5000, 'x');
  CHECK_THROWS_WITH_AS(read_or_create_container_token(file), doctest::Contains("4096"), Error);
  const std::string unreachable = (dir.path / "no/such/dir").string();
  CHECK_THROWS_WITH_AS(read_or_create_container_token(unreachable, "--container-token-file"),
                       doctest::Contains(("--container-token-file " + unreachable).c_str()), Error);
  // Without the flag's name the file is named alone.
  try {
    read_or_create_container_token(unreachable);
    FAIL("a token file in a missing directory was created");
  } catch (const Error& error) {
    const std::string message = error.what();
    CHECK(message.find("the container token file " + unreachable + ": cannot create it") == 0);
    CHECK(message.find("--") == std::string::npos);
  }
}
