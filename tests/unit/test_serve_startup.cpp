// What serve does when its first CreateSession fails, and the container token file.
#include "../../src/serve/container_token.hpp"
#include "../../src/serve/startup_policy.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;

TEST_CASE("serve startup: rejections stop and an unreachable service keeps trying") {
  CHECK(classify_startup_failure(Error(Error::Kind::kTransport, "connection refused")) ==
        StartupVerdict::kKeepTrying);
  CHECK(classify_startup_failure(ServiceError(503, "", "")) == StartupVerdict::kKeepTrying);
  CHECK(classify_startup_failure(ServiceError(500, "InternalServerException", "")) ==
        StartupVerdict::kKeepTrying);
  CHECK(classify_startup_failure(ServiceError(429, "ThrottlingException", "")) ==
        StartupVerdict::kKeepTrying);
  CHECK(classify_startup_failure(Error(Error::Kind::kService, "malformed body")) ==
        StartupVerdict::kKeepTrying);

  CHECK(classify_startup_failure(ServiceError(403, "AccessDeniedException", "untrusted")) ==
        StartupVerdict::kStop);
  CHECK(classify_startup_failure(ServiceError(400, "ValidationException", "")) ==
        StartupVerdict::kStop);
  CHECK(classify_startup_failure(Error(Error::Kind::kCrypto, "expired")) == StartupVerdict::kStop);
  CHECK(classify_startup_failure(Error(Error::Kind::kInput, "no file")) == StartupVerdict::kStop);
  CHECK(classify_startup_failure(Error(Error::Kind::kInvalidArgument, "bad")) ==
        StartupVerdict::kStop);
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
  std::ofstream(file) << "my-token-value\r\n";
  CHECK(read_or_create_container_token(file).reveal() == "my-token-value");
  std::ofstream(file) << "\n";
  CHECK_THROWS_WITH_AS(read_or_create_container_token(file), doctest::Contains("empty"), Error);
  std::ofstream(file) << std::string(5000, 'x');
  CHECK_THROWS_WITH_AS(read_or_create_container_token(file), doctest::Contains("4096"), Error);
  CHECK_THROWS_WITH_AS(read_or_create_container_token((dir.path / "no/such/dir").string()),
                       doctest::Contains("--container-token-file"), Error);
}
