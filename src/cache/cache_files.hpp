// The cache's files, reached only through the directory's descriptor (openat, renameat), so a
// directory swapped after its check is never written: the directory's checks, an entry's read,
// its atomic replacement and the lock per entry. Nothing here throws for a file's sake: each
// operation returns what happened and, when the cache cannot be used, why (for a debug line).
#pragma once

#include "rolesanywhere/unique_fd.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::cache_detail {

// Why a file or directory another user could read or write must not be used: its owner is not
// the effective uid, or its mode gives group or others any access. nullopt when it is private.
std::optional<std::string> not_private(const struct stat& status);

struct OpenedDirectory {
  UniqueFd fd;          // valid when the directory can be used
  std::string problem;  // otherwise why not: "... is a symbolic link", "... mode 0755 ..."
};
// Opens the cache directory, creating it and its missing parents with mode 0700 first. Not used:
// a symbolic link, not a directory, owned by another uid, any group or other permission bit.
// Nothing is repaired.
OpenedDirectory open_cache_directory(const std::filesystem::path& directory);

struct EntryFile {
  enum class Status {
    kMissing,  // no such file
    kRead,     // `bytes` holds it (the caller wipes them: a plain entry holds secrets)
    kDamaged,  // unusable but replaceable (too large); `problem` says why
    kUnsafe,   // must not be used nor replaced: a link, not a file, not private; `problem`
    kError,    // cannot be read (EIO, EACCES); `problem`
  };
  Status status = Status::kMissing;
  std::string bytes;
  std::string problem;
};
EntryFile read_entry_file(int directory_fd, const std::string& name);

// Replaces `name` atomically: a temporary file ".<name>.tmp-<pid>-<random>" (O_EXCL, 0600) is
// written, fsynced and renamed over it, then the directory is fsynced. A kill at any moment
// leaves the old entry or the new one. Returns nullopt, or why it failed (the temporary file is
// then removed).
std::optional<std::string> write_entry_file(int directory_fd, const std::string& name,
                                            std::string_view bytes);

// Temporary files of `name` left by a writer that died, older than a minute (a younger one may
// be a write in progress). Only called under the entry's lock.
void remove_stale_temporaries(int directory_fd, const std::string& name);

// An exclusive open-file-description lock on the lock file "<name>.lock" (0600, never through a
// symbolic link), held while the object lives; the kernel releases it however the process ends.
class EntryLock {
 public:
  enum class Status {
    kLocked,           // at once
    kLockedAfterWait,  // after another holder released it
    kTimedOut,         // another holder kept it for longer than the wait allowed
    kUnusable,         // the lock file cannot be opened or locked: `problem` says why
  };
  // Called once, when the lock turns out to be held by another: before waiting.
  EntryLock(int directory_fd, const std::string& name, std::chrono::milliseconds wait,
            const std::function<void()>& on_wait);
  EntryLock(const EntryLock&) = delete;
  EntryLock& operator=(const EntryLock&) = delete;

  Status status() const noexcept { return status_; }
  bool held() const noexcept {
    return status_ == Status::kLocked || status_ == Status::kLockedAfterWait;
  }
  const std::string& problem() const noexcept { return problem_; }
  std::chrono::milliseconds waited() const noexcept { return waited_; }

 private:
  UniqueFd fd_;
  Status status_ = Status::kUnusable;
  std::string problem_;
  std::chrono::milliseconds waited_{0};
};

}  // namespace rolesanywhere::cache_detail
