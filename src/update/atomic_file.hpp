// Reading the credentials file whole, and replacing it without ever leaving a damaged file
// behind.
//
// Crash safety: the new text goes to a temporary file in the same directory (created with
// O_EXCL and the final mode), is fsynced, renamed over the original and the directory fsynced.
// A crash at any moment leaves the old file or the new one; a temporary file left by a crash is
// removed by the next update (remove_stale_temporary_files).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::update {

struct FileSnapshot {
  bool exists = false;
  std::string text;
  mode_t mode = 0600;  // permission bits of the existing file, 0600 for a new one
  uid_t owner = 0;
  gid_t group = 0;
};

// Reads the whole file; a missing file is an empty snapshot that does not exist. Throws
// Error(kInput) for a file that cannot be read or is not a regular file.
FileSnapshot read_file_snapshot(const std::filesystem::path& file);

// Test hook: called at the named steps of an atomic write ("written", "synced",
// "before-rename", "renamed"), so a test can fail or stop there.
using WriteStepHook = std::function<void(std::string_view step)>;

// Replaces `file` with `text` atomically: temporary file (O_EXCL, the mode of `original`, and
// its owner when root), write, fsync, rename over `file`, fsync of the directory. `before_rename`
// may return a different text to write instead (the re-read-and-redo step); it is called until it
// returns nullopt (at most 10 times). On any failure before the rename the temporary file is
// removed and `file` is left as it was.
void write_file_atomically(const std::filesystem::path& file, std::string_view text,
                           const FileSnapshot& original,
                           const std::function<std::optional<std::string>()>& before_rename = {},
                           const WriteStepHook& hook = {});

// Temporary files of earlier writes that died before their rename. Only safe under the lock.
void remove_stale_temporary_files(const std::filesystem::path& file);

}  // namespace rolesanywhere::update
