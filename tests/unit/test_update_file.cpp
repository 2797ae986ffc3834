// The credentials file on disk: where it is, modes, atomic replacement, the lock, crashes at
// random moments (kill -9 of a writing child) and concurrent writers in separate processes.
#include "test_temp_dir.hpp"

#include <doctest/doctest.h>

#include "update/credentials_file.hpp"
#include "update/credentials_ini.hpp"

#include "rolesanywhere/error.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

using namespace rolesanywhere;
using namespace rolesanywhere::update;
using namespace std::chrono;
namespace fs = std::filesystem;
using test_support::slurp;
using test_support::TempDir;

namespace {

// A fresh directory, removed with everything in it at the end of the test.

Credentials numbered_credentials(long n) {
  char number[24];
  std::snprintf(number, sizeof number, "%08ld", n);
  Credentials c;
  c.access_key_id = std::string("ASIA") + number;
  c.secret_access_key = SecretString(std::string("secret-") + number);
  c.session_token = SecretString(std::string("token-") + number + std::string(600, 'x'));
  c.expiration = sys_days{year{2030} / 1 / 1} + seconds{n};
  return c;
}

void spew(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

mode_t mode_of(const fs::path& path) {
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status.st_mode & 07777;
}

int count_temporary_files(const fs::path& directory) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) ++count;
  return count;
}

// The number the profile's credentials carry, after checking that all four values carry the
// same one: a torn update would mix two.
long consistent_number(const std::string& text, const std::string& profile) {
  const auto key = ini_value(text, profile, "aws_access_key_id");
  REQUIRE(key.has_value());
  const std::string number = key->substr(4);
  CHECK(ini_value(text, profile, "aws_secret_access_key") == "secret-" + number);
  CHECK(ini_value(text, profile, "aws_session_token") == "token-" + number + std::string(600, 'x'));
  return std::stol(number);
}

const std::string kOtherProfiles =
    "# keep me\n[before]\naws_access_key_id = AKIABEFORE\nregion = eu-west-1\n\n";
const std::string kTrailingProfiles = "\n; and me\n[after]\naws_secret_access_key = after\n";

}  // namespace

TEST_CASE("update file: the path comes from AWS_SHARED_CREDENTIALS_FILE or HOME") {
  CHECK(credentials_file_path("/x/creds", "/home/u") == fs::path("/x/creds"));
  CHECK(credentials_file_path("~/creds", "/home/u") == fs::path("/home/u/creds"));
  CHECK(credentials_file_path(nullptr, "/home/u") == fs::path("/home/u/.aws/credentials"));
  CHECK(credentials_file_path("", "/home/u") == fs::path("/home/u/.aws/credentials"));
  CHECK_THROWS_AS(credentials_file_path(nullptr, nullptr), Error);
  CHECK_THROWS_AS(credentials_file_path("~/c", ""), Error);
  CHECK(lock_file_path("/home/u/.aws/credentials") == fs::path("/home/u/.aws/credentials.lock"));
}

TEST_CASE("update file: a missing directory is created 0700 and the file 0600") {
  TempDir dir;
  const fs::path file = dir.path / "deep" / ".aws" / "credentials";
  const mode_t old_umask = ::umask(0);  // the modes must not depend on the caller's umask
  const UpdateResult result = update_credentials_file(file, "default", numbered_credentials(1));
  ::umask(old_umask);
  CHECK(result.created);
  CHECK(mode_of(file.parent_path()) == 0700);
  CHECK(mode_of(file) == 0600);
  CHECK(slurp(file) == apply_credentials("", "default", numbered_credentials(1)));
  CHECK(count_temporary_files(file.parent_path()) == 0);
}

TEST_CASE("update file: an existing file keeps its mode and every other byte") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const std::string before =
      kOtherProfiles + "[default]\naws_access_key_id = OLD\n" + kTrailingProfiles;
  spew(file, before);
  ::chmod(file.c_str(), 0640);
  const UpdateResult result = update_credentials_file(file, "default", numbered_credentials(2));
  CHECK_FALSE(result.created);
  CHECK(mode_of(file) == 0640);
  CHECK(slurp(file) == apply_credentials(before, "default", numbered_credentials(2)));
  CHECK(consistent_number(slurp(file), "default") == 2);
}

TEST_CASE("update file: long-term keys in the profile are refused, the file left as it was") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const std::string before = kOtherProfiles +
                             "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                             "aws_secret_access_key = long-term-secret\n" +
                             kTrailingProfiles;
  spew(file, before);
  const std::string expected =
      "profile 'default' in " + file.string() + " holds long-term access keys";
  CHECK_THROWS_WITH_AS(update_credentials_file(file, "default", numbered_credentials(1)),
                       doctest::Contains(expected.c_str()), Error);
  CHECK(slurp(file) == before);
  CHECK(count_temporary_files(dir.path) == 0);
  // Other profiles (kOtherProfiles has long-term keys in [before]) are no obstacle, and
  // temporary credentials in the profile are replaced as always.
  update_credentials_file(file, "temporary", numbered_credentials(2));
  update_credentials_file(file, "temporary", numbered_credentials(3));
  CHECK(consistent_number(slurp(file), "temporary") == 3);
}

TEST_CASE("update file: a profile is kept fresh by one updater at a time") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  {
    const ProfileClaim first(file, "default");
    CHECK_THROWS_WITH_AS(ProfileClaim(file, "default"),
                         doctest::Contains("another update process is already keeping profile "
                                           "'default'"),
                         Error);
    const ProfileClaim other(file, "other");  // another profile is free
    // Writes take their own lock: a claim does not stand in their way.
    update_credentials_file(file, "default", numbered_credentials(1));
    CHECK(consistent_number(slurp(file), "default") == 1);
  }
  const ProfileClaim again(file, "default");  // released with the first
}

TEST_CASE("update file: a symlinked credentials file is written through, the link kept") {
  TempDir dir;
  const fs::path target = dir.path / "dotfiles-credentials";
  const fs::path link = dir.path / "credentials";
  spew(target, "[other]\nx = 1\n");
  fs::create_symlink(target, link);
  update_credentials_file(link, "default", numbered_credentials(3));
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(consistent_number(slurp(target), "default") == 3);
  CHECK(ini_value(slurp(target), "other", "x") == "1");
}

TEST_CASE("update file: a failure before the rename leaves the old file and no temporary file") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const std::string before = "[default]\naws_access_key_id = OLD\n";
  spew(file, before);
  for (const char* failing_step : {"written", "synced", "before-rename"}) {
    CAPTURE(failing_step);
    UpdateOptions options;
    options.hook = [&](std::string_view step) {
      if (step == failing_step) throw Error(Error::Kind::kInput, "disk full (simulated)");
    };
    CHECK_THROWS_AS(update_credentials_file(file, "default", numbered_credentials(4), options),
                    Error);
    CHECK(slurp(file) == before);
    CHECK(count_temporary_files(dir.path) == 0);
  }
}

TEST_CASE("update file: temporary files left by a crash are removed by the next update") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  spew(dir.path / ".credentials.tmp-12345-00000000deadbeef", "half a fi");
  spew(dir.path / "unrelated.tmp-1", "keep");
  update_credentials_file(file, "default", numbered_credentials(5));
  CHECK_FALSE(fs::exists(dir.path / ".credentials.tmp-12345-00000000deadbeef"));
  CHECK(fs::exists(dir.path / "unrelated.tmp-1"));
}

TEST_CASE("update file: a change by a writer without the lock is redone on, not lost") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  spew(file, "[default]\naws_access_key_id = OLD\n");
  UpdateOptions options;
  bool changed = false;
  options.hook = [&](std::string_view step) {
    // As `aws configure set` would, between our read and our rename.
    if (step == "synced" && !changed) {
      changed = true;
      spew(file, "[default]\naws_access_key_id = OLD\n[added-meanwhile]\nregion = ap-south-1\n");
    }
  };
  update_credentials_file(file, "default", numbered_credentials(6), options);
  const std::string after = slurp(file);
  CHECK(ini_value(after, "added-meanwhile", "region") == "ap-south-1");
  CHECK(consistent_number(after, "default") == 6);
}

TEST_CASE("update file: the lock makes a second writer wait and then give up clearly") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  FileLock held(lock_file_path(file), milliseconds(1000));
  UpdateOptions options;
  options.lock_timeout = milliseconds(1300);
  int waits_said = 0;
  options.on_lock_wait = [&waits_said] { ++waits_said; };
  const auto start = steady_clock::now();
  try {
    update_credentials_file(file, "default", numbered_credentials(7), options);
    FAIL("wrote while another process held the lock");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("credentials.lock") != std::string::npos);
  }
  CHECK(steady_clock::now() - start >= milliseconds(1300));
  CHECK(waits_said == 1);  // after a second, once
  CHECK_FALSE(fs::exists(file));
}

TEST_CASE("update file: kill -9 at random moments never leaves a torn or truncated file") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const std::string before = kOtherProfiles + "[default]\n" + kTrailingProfiles;
  spew(file, apply_credentials(before, "default", numbered_credentials(0)));
  std::mt19937 random(12345);
  long last_seen = 0;
  long next_number = 1;
  int kills_after_progress = 0;
  int kills_mid_write = 0;  // the child died between creating its temporary file and the rename
  for (int round = 0; round < 40; ++round) {
    const long first = next_number;
    next_number += 1'000'000;  // each child writes its own range, increasing
    // The child says when its first write is done: the kill then lands while it writes flat out,
    // however long a sanitizer build takes to get there.
    int first_write[2];
    REQUIRE(::pipe(first_write) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(first_write[0]);
      for (long n = first;; ++n) {
        try {
          update_credentials_file(file, "default", numbered_credentials(n));
        } catch (...) {
          ::_exit(3);
        }
        if (n == first) {
          const char done = 1;
          if (::write(first_write[1], &done, 1) != 1) ::_exit(4);
          ::close(first_write[1]);
        }
      }
    }
    ::close(first_write[1]);
    pollfd wait_for_write{first_write[0], POLLIN, 0};
    CHECK(::poll(&wait_for_write, 1, 30'000) == 1);
    ::close(first_write[0]);
    std::this_thread::sleep_for(
        microseconds(std::uniform_int_distribution<int>(0, 30'000)(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    if (count_temporary_files(dir.path) > 0) ++kills_mid_write;

    const std::string text = slurp(file);
    CAPTURE(round);
    // It parses, the other profiles are exactly as they were, and the profile holds one whole
    // set of credentials: the old ones or a newer set.
    CHECK(ini_value(text, "before", "aws_access_key_id") == "AKIABEFORE");
    CHECK(ini_value(text, "after", "aws_secret_access_key") == "after");
    CHECK(text.starts_with(kOtherProfiles + "[default]\n"));
    CHECK(text.ends_with(kTrailingProfiles));
    const long seen = consistent_number(text, "default");
    CHECK(seen >= last_seen);
    if (seen > last_seen) ++kills_after_progress;
    last_seen = seen;
  }
  // Most children got at least one write done before they were killed.
  CHECK(kills_after_progress > 10);
  CHECK(kills_mid_write > 0);
  update_credentials_file(file, "default", numbered_credentials(next_number));
  CHECK(count_temporary_files(dir.path) == 0);
}

TEST_CASE("update file: concurrent writers of different profiles lose no update") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  spew(file, kOtherProfiles);
  constexpr int kWriters = 4;
  constexpr int kWrites = 25;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      int code = 0;
      for (int i = 1; i <= kWrites; ++i) {
        try {
          update_credentials_file(file, "writer" + std::to_string(w),
                                  numbered_credentials(w * 1000 + i));
        } catch (...) {
          code = 3;
        }
      }
      ::_exit(code);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  const std::string text = slurp(file);
  CHECK(text.starts_with(kOtherProfiles));
  for (int w = 0; w < kWriters; ++w)
    CHECK(consistent_number(text, "writer" + std::to_string(w)) == w * 1000 + kWrites);
  CHECK(ini_section_names(text).size() == 1 + kWriters);
}

TEST_CASE("update file: the lock file is never opened through a symbolic link") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const fs::path victim = dir.path / "victim";
  spew(victim, "not yours\n");
  fs::create_symlink(victim, lock_file_path(file));
  CHECK_THROWS_WITH_AS(update_credentials_file(file, "default", numbered_credentials(1)),
                       doctest::Contains("is a symbolic link"), Error);
  CHECK(slurp(victim) == "not yours\n");
  CHECK_FALSE(fs::exists(file));
}

TEST_CASE("update file: root refuses a path that another user could change") {
  if (::geteuid() != 0) {
    WARN_MESSAGE(false, "SKIPPED: needs root (chown)");
    return;
  }
  TempDir dir;  // root's, 0700, in /tmp: a sticky directory whose next entry exists
  auto refused_with = [](const fs::path& file, const std::string& problem) {
    try {
      update_credentials_file(file, "default", numbered_credentials(1));
    } catch (const Error& error) {
      const std::string message = error.what();
      return message.find("refusing to update " + file.string() + " as root") !=
                 std::string::npos &&
             message.find(problem) != std::string::npos &&
             message.find("sudo -u NAME") != std::string::npos;
    }
    return false;
  };
  // A directory of another user's (their home) on the path.
  const fs::path home = dir.path / "home";
  fs::create_directory(home);
  REQUIRE(::chown(home.c_str(), 65534, 65534) == 0);
  CHECK(refused_with(home / ".aws" / "credentials", "belongs to uid 65534"));
  CHECK_FALSE(fs::exists(home / ".aws"));
  // A directory anyone can write, without the sticky bit.
  const fs::path open_dir = dir.path / "open";
  fs::create_directory(open_dir);
  REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
  CHECK(refused_with(open_dir / "credentials", "is a directory that others can write"));
  // A sticky one: only when the next entry on the path exists (others cannot swap it then).
  const fs::path sticky = dir.path / "sticky";
  fs::create_directory(sticky);
  REQUIRE(::chmod(sticky.c_str(), 01777) == 0);
  CHECK(refused_with(sticky / "credentials", "does not exist yet in a directory others can write"));
  CHECK(refused_with(sticky / "." / "credentials", "does not exist yet"));
  fs::create_directory(sticky / "roots");
  // Stepping back up with '..' lands in the shared directory again.
  CHECK(refused_with(sticky / "roots" / ".." / "credentials", "does not exist yet"));
  update_credentials_file(sticky / "roots" / "credentials", "default", numbered_credentials(2));
  CHECK(consistent_number(slurp(sticky / "roots" / "credentials"), "default") == 2);
  // A link of root's that leads into the other user's directory: its target is checked too.
  fs::create_directory_symlink(home, dir.path / "link-to-home");
  CHECK(refused_with(dir.path / "link-to-home" / "credentials", "belongs to uid 65534"));
  // A hard link in a shared directory, even to a file of root's.
  fs::create_hard_link(sticky / "roots" / "credentials", sticky / "linked");
  CHECK(refused_with(sticky / "linked", "has other hard links"));
  // '..' in a path or in a link of root's (as /var/run -> ../run) is resolved, not refused.
  fs::create_directory(dir.path / "real");
  fs::create_directory_symlink("../" + dir.path.filename().string() + "/real",
                               dir.path / "relative-link");
  update_credentials_file(dir.path / "relative-link" / "credentials", "default",
                          numbered_credentials(3));
  CHECK(consistent_number(slurp(dir.path / "real" / "credentials"), "default") == 3);
  update_credentials_file(dir.path / "real" / ".." / "real" / "credentials", "default",
                          numbered_credentials(4));
  CHECK(consistent_number(slurp(dir.path / "real" / "credentials"), "default") == 4);
  // A file of another user's in root's directory.
  spew(dir.path / "theirs", "[other]\n");
  REQUIRE(::chown((dir.path / "theirs").c_str(), 65534, 65534) == 0);
  CHECK(refused_with(dir.path / "theirs", "belongs to uid 65534"));
  CHECK(slurp(dir.path / "theirs") == "[other]\n");
}

TEST_CASE("update file: root does not follow another user's symbolic link to the file") {
  if (::geteuid() != 0) {
    WARN_MESSAGE(false, "SKIPPED: needs root (lchown)");
    return;
  }
  TempDir dir;
  const fs::path target = dir.path / "roots-file";
  spew(target, "root's\n");
  const fs::path link = dir.path / "credentials";
  fs::create_symlink(target, link);
  REQUIRE(::lchown(link.c_str(), 65534, 65534) == 0);
  CHECK_THROWS_WITH_AS(update_credentials_file(link, "default", numbered_credentials(1)),
                       doctest::Contains("belongs to uid 65534"), Error);
  CHECK(slurp(target) == "root's\n");
  // A link of root's own is followed, as before.
  REQUIRE(::lchown(link.c_str(), 0, 0) == 0);
  update_credentials_file(link, "default", numbered_credentials(2));
  CHECK(consistent_number(slurp(target), "default") == 2);
}
