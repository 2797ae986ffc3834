// atomic_file: the snapshot read and the crash-safe replacement, on their own.
#include "test_temp_dir.hpp"

#include <doctest/doctest.h>

#include "update/atomic_file.hpp"

#include "rolesanywhere/error.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

using namespace rolesanywhere;
using namespace rolesanywhere::update;
namespace fs = std::filesystem;
using test_support::slurp;
using test_support::TempDir;

namespace {

void spew(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("atomic file: a snapshot holds the text, mode and owner, or says the file is missing") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  const FileSnapshot missing = read_file_snapshot(file);
  CHECK_FALSE(missing.exists);
  CHECK(missing.text.empty());
  CHECK(missing.mode == 0600);

  const std::string big(200'000, 'x');  // more than one read
  spew(file, big);
  REQUIRE(::chmod(file.c_str(), 0640) == 0);
  const FileSnapshot snapshot = read_file_snapshot(file);
  CHECK(snapshot.exists);
  CHECK(snapshot.text == big);
  CHECK(snapshot.mode == 0640);
  CHECK(snapshot.owner == ::geteuid());

  CHECK_THROWS_WITH_AS(read_file_snapshot(dir.path),
                       ("cannot update " + dir.path.string() + ": not a regular file").c_str(),
                       Error);
}

TEST_CASE("atomic file: a failed rename leaves the old content and no temporary file") {
  TempDir dir;
  // A directory where the file should be: everything up to the rename succeeds, the rename
  // cannot replace it.
  const fs::path file = dir.path / "credentials";
  fs::create_directory(file);
  spew(file / "inside", "old");
  std::vector<std::string> steps;
  const std::string replace_error = "cannot replace " + file.string();
  CHECK_THROWS_WITH_AS(
      write_file_atomically(file, "new", FileSnapshot{}, {},
                            [&steps](std::string_view step) { steps.emplace_back(step); }),
      doctest::Contains(replace_error.c_str()), Error);
  CHECK(steps == std::vector<std::string>{"written", "synced", "before-rename"});
  CHECK(slurp(file / "inside") == "old");
  CHECK(names_in(dir.path) == std::vector<std::string>{"credentials"});
}

TEST_CASE("atomic file: a failure at any step before the rename keeps the old file") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  spew(file, "old\n");
  for (const char* failing : {"written", "synced", "before-rename"}) {
    CAPTURE(failing);
    CHECK_THROWS_AS(write_file_atomically(file, "new\n", read_file_snapshot(file), {},
                                          [&](std::string_view step) {
                                            if (step == failing)
                                              throw Error(Error::Kind::kInput, "simulated");
                                          }),
                    Error);
    CHECK(slurp(file) == "old\n");
    CHECK(names_in(dir.path) == std::vector<std::string>{"credentials"});
  }
  // A failure after the rename: the new file is in place and nothing is left beside it.
  CHECK_THROWS_AS(write_file_atomically(file, "new\n", read_file_snapshot(file), {},
                                        [](std::string_view step) {
                                          if (step == "renamed")
                                            throw Error(Error::Kind::kInput, "simulated");
                                        }),
                  Error);
  CHECK(slurp(file) == "new\n");
  CHECK(names_in(dir.path) == std::vector<std::string>{"credentials"});
}

TEST_CASE("atomic file: the new file gets the old mode whatever the umask") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  spew(file, "old\n");
  REQUIRE(::chmod(file.c_str(), 0604) == 0);
  const mode_t old_umask = ::umask(077);
  write_file_atomically(file, "new\n", read_file_snapshot(file));
  ::umask(old_umask);
  struct stat status {};
  REQUIRE(::stat(file.c_str(), &status) == 0);
  CHECK((status.st_mode & 07777) == 0604);
  CHECK(slurp(file) == "new\n");
}

TEST_CASE("atomic file: the redo before the rename replaces the text, and gives up after 10") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  int redos = 0;
  write_file_atomically(file, "first, much longer than the redone text\n", FileSnapshot{},
                        [&]() -> std::optional<std::string> {
                          if (redos == 2) return std::nullopt;
                          return "redo " + std::to_string(++redos) + "\n";
                        });
  CHECK(redos == 2);
  CHECK(slurp(file) == "redo 2\n");  // truncated before each rewrite

  int calls = 0;
  write_file_atomically(
      file, "start\n", read_file_snapshot(file),
      [&]() -> std::optional<std::string> { return "always " + std::to_string(++calls) + "\n"; });
  CHECK(calls == 10);
  CHECK(slurp(file) == "always 10\n");
}

TEST_CASE("atomic file: stale temporary files of this file only are removed") {
  TempDir dir;
  const fs::path file = dir.path / "credentials";
  spew(dir.path / ".credentials.tmp-1-0000000000000001", "torn");
  spew(dir.path / ".other.tmp-1-0000000000000001", "not ours");
  spew(file, "kept");
  remove_stale_temporary_files(file);
  CHECK_FALSE(fs::exists(dir.path / ".credentials.tmp-1-0000000000000001"));
  CHECK(fs::exists(dir.path / ".other.tmp-1-0000000000000001"));
  CHECK(slurp(file) == "kept");
}
