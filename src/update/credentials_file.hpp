// Where the shared credentials file is, and how `update` rewrites it without ever leaving a
// damaged file behind.
//
// Crash safety: the new text goes to a temporary file in the same directory (created with
// O_EXCL and the final mode), is fsynced, renamed over the original and the directory fsynced.
// A crash at any moment leaves the old file or the new one; a temporary file left by a crash is
// removed by the next update.
//
// Concurrency: writers that take the lock (every `update` process) hold a lock on byte 0 of a
// separate file next to it, "<file>.lock", across read-modify-write, so none of their updates is
// lost. `aws configure set` and editors do not take that lock. To shrink that window, the file is
// read again right before the rename and the edit redone if it changed meanwhile; an edit that
// lands between that last read and the rename can still be lost, and one that is half written when
// we read it is read half written, as with any two programs that write the file without a lock.
#pragma once

#include "rolesanywhere/credentials.hpp"

#include <sys/types.h>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::update {

// AWS_SHARED_CREDENTIALS_FILE when set and non-empty (a leading "~/" means home), else
// <home>/.aws/credentials. Pure: the caller passes the environment. Throws Error(kInput) when
// neither is known.
std::filesystem::path credentials_file_path(const char* shared_credentials_file_env,
                                            const char* home_env);
// The same from the process environment (HOME, or the password database when HOME is unset).
std::filesystem::path credentials_file_path_from_environment();

// "<file>.lock" next to the file.
std::filesystem::path lock_file_path(const std::filesystem::path& file);

// An exclusive lock on the lock file, held for the object's lifetime. Waits up to `timeout`
// for another holder, then throws Error(kInput) naming the lock file.
//
// An open-file-description lock on byte 0 (byte-range locks are what NFS supports; its flock
// emulation would lock the whole file and collide with ProfileClaim's bytes). The lock file is
// never opened through a symbolic link. One this process cannot open for writing is reported with
// its owner and the advice to remove it: it holds no data.
class FileLock {
 public:
  // `on_wait` is called once when the lock has been held by another process for `notice_after`,
  // so a person is not left staring at a silent command for up to `timeout`.
  FileLock(const std::filesystem::path& lock_path, std::chrono::milliseconds timeout,
           const std::function<void()>& on_wait = {},
           std::chrono::milliseconds notice_after = std::chrono::seconds(1));
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

struct FileSnapshot {
  bool exists = false;
  std::string text;
  mode_t mode = 0600;  // permission bits of the existing file, 0600 for a new one
  uid_t owner = 0;
  gid_t group = 0;
};

// Reads the whole file; a missing file is an empty snapshot that does not exist.
FileSnapshot read_file_snapshot(const std::filesystem::path& file);

// Creates the missing directories of `directory` with mode 0700.
void create_private_directories(const std::filesystem::path& directory);

// Test hook: called at the named steps of an atomic write, so a test can fail or stop there.
using WriteStepHook = std::function<void(std::string_view step)>;

// Replaces `file` with `text` atomically: temporary file (O_EXCL, `mode`), write, fsync,
// rename over `file`, fsync of the directory. `before_rename` may return a different text to
// write instead (the re-read-and-redo step); it is called until it returns nullopt.
void write_file_atomically(const std::filesystem::path& file, std::string_view text,
                           const FileSnapshot& original,
                           const std::function<std::optional<std::string>()>& before_rename = {},
                           const WriteStepHook& hook = {});

// Temporary files of earlier writes that died before their rename. Only safe under the lock.
void remove_stale_temporary_files(const std::filesystem::path& file);

// A running `update` keeping `profile` of `file` fresh: held for the process's lifetime, so a
// second one for the same profile (a cron job beside a systemd unit, a unit started twice) is
// refused instead of doubling the CreateSessions and flipping the keys between the two. An
// open-file-description lock on one byte of "<file>.lock" chosen by the profile name: no extra
// file, released by the kernel however the process ends, and apart from byte 0, which
// serialises writes. Throws Error(kInput) naming the profile and the file when another process
// holds it. Where such locks are not supported, nothing is claimed.
class ProfileClaim {
 public:
  ProfileClaim(const std::filesystem::path& file, std::string_view profile);
  ~ProfileClaim();
  ProfileClaim(const ProfileClaim&) = delete;
  ProfileClaim& operator=(const ProfileClaim&) = delete;

 private:
  int fd_ = -1;
};

struct UpdateResult {
  std::filesystem::path file;  // the file written (symlinks resolved)
  bool created = false;        // the file did not exist before
};

struct UpdateOptions {
  std::chrono::milliseconds lock_timeout{30'000};
  // Called once if another process holds the lock for more than a second.
  std::function<void()> on_lock_wait;
  WriteStepHook hook;
};

// The whole update of one profile: create the directory, lock, read, apply_credentials, write
// atomically (re-reading right before the rename), unlock. Throws Error naming the file; the
// message never holds a credential.
UpdateResult update_credentials_file(const std::filesystem::path& file, std::string_view profile,
                                     const Credentials& credentials,
                                     const UpdateOptions& options = {});

}  // namespace rolesanywhere::update
