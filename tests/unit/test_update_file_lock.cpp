// file_lock: the write lock and the per-profile claim on "<file>.lock", on their own.
#include "test_temp_dir.hpp"

#include <doctest/doctest.h>

#include "update/credentials_path.hpp"
#include "update/file_lock.hpp"

#include "rolesanywhere/error.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

using namespace rolesanywhere;
using namespace rolesanywhere::update;
using namespace std::chrono;
namespace fs = std::filesystem;
using test_support::TempDir;

namespace {}  // namespace

TEST_CASE("file lock: one holder at a time, free again once it is gone") {
  TempDir dir;
  const fs::path lock = lock_file_path(dir.path / "credentials");
  std::optional<FileLock> first;
  first.emplace(lock, milliseconds(0));
  // The locks belong to open file descriptions, so a second one in this process is refused too.
  CHECK_THROWS_WITH_AS(FileLock(lock, milliseconds(0)),
                       ("another process has held the lock " + lock.string() +
                        " for more than 0 s; the file was not changed")
                           .c_str(),
                       Error);
  first.reset();
  CHECK_NOTHROW(FileLock(lock, milliseconds(0)));
}

TEST_CASE("file lock: the wait is announced once, after notice_after") {
  TempDir dir;
  const fs::path lock = lock_file_path(dir.path / "credentials");
  const FileLock held(lock, milliseconds(0));
  int notices = 0;
  const auto started = steady_clock::now();
  CHECK_THROWS_AS(FileLock(
                      lock, milliseconds(150), [&notices] { ++notices; }, milliseconds(40)),
                  Error);
  CHECK(notices == 1);
  CHECK(steady_clock::now() - started >= milliseconds(150));
  // An on_wait that throws ends the wait with its exception.
  CHECK_THROWS_WITH_AS(
      FileLock(
          lock, seconds(10), [] { throw Error(Error::Kind::kInput, "stop"); }, milliseconds(0)),
      "stop", Error);
}

TEST_CASE("file lock: a lock file that is not a plain file is refused with the remedy") {
  TempDir dir;
  const fs::path lock = lock_file_path(dir.path / "credentials");
  REQUIRE(::mkfifo(lock.c_str(), 0600) == 0);  // opens for writing, but is no plain file
  CHECK_THROWS_WITH_AS(FileLock(lock, milliseconds(0)), doctest::Contains("is not a plain file"),
                       Error);
  CHECK_THROWS_WITH_AS(FileLock(dir.path / "missing" / "x.lock", milliseconds(0)),
                       ("cannot create the lock file in " + (dir.path / "missing" / "").string() +
                        ": No such file or directory")
                           .c_str(),
                       Error);
}

TEST_CASE("file lock: a profile claim names the flag it is given, or none") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const ProfileClaim held(file, "default");
  const std::string refused = "another update process is already keeping profile 'default' in " +
                              file.string() + " fresh; stop that one first";
  CHECK_THROWS_WITH_AS(ProfileClaim(file, "default"), refused.c_str(), Error);
  CHECK_THROWS_WITH_AS(ProfileClaim(file, "default", UpdateLabels{"--profile", "--once"}),
                       (refused + " (or use --once for a single update)").c_str(), Error);
  CHECK_THROWS_WITH_AS(ProfileClaim(file, "default", UpdateLabels{"-p", "-1"}),
                       (refused + " (or use -1 for a single update)").c_str(), Error);
  CHECK_THROWS_WITH_AS(ProfileClaim(file, "default", UpdateLabels{"", ""}), refused.c_str(), Error);
}

TEST_CASE("file lock: claims and the write lock do not stand in each other's way") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const FileLock writing(lock_file_path(file), milliseconds(0));
  const ProfileClaim a(file, "a");
  const ProfileClaim b(file, "b");
  CHECK_THROWS_AS(FileLock(lock_file_path(file), milliseconds(0)), Error);
}

TEST_CASE("credentials path: the directory of a bare name is '.', links are resolved") {
  CHECK(directory_of("credentials") == fs::path("."));
  CHECK(directory_of("/a/b/credentials") == fs::path("/a/b"));
  TempDir dir;
  const fs::path target = dir.path / "real";
  std::ofstream(target) << "x";
  fs::create_symlink(target, dir.path / "link");
  CHECK(resolve_symlinks(dir.path / "link") == fs::weakly_canonical(target));
  CHECK(resolve_symlinks(dir.path / "plain") == dir.path / "plain");
  create_private_directories(dir.path / "x" / "y");
  CHECK(fs::is_directory(dir.path / "x" / "y"));
  CHECK((fs::status(dir.path / "x").permissions() & fs::perms::all) == fs::perms::owner_all);
}
