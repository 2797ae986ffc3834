// The locks `update` takes on "<file>.lock", a file beside the credentials file that holds no
// data. Writers that take the lock (every `update` process) hold byte 0 across
// read-modify-write, so none of their updates is lost; a running `update` keeping a profile
// fresh holds another byte chosen by the profile's name (ProfileClaim).
//
// Both are open-file-description byte-range locks: byte-range locks are what NFS supports (its
// flock emulation would lock the whole file and the two kinds would collide), and the kernel
// releases them however the process ends. The lock file is never opened through a symbolic link.
// One this process cannot open for writing is reported with its owner and the advice to remove
// it.
#pragma once

#include "rolesanywhere/unique_fd.hpp"
#include "rolesanywhere/update.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string_view>

namespace rolesanywhere::update {

// "<file>.lock" next to the file.
std::filesystem::path lock_file_path(const std::filesystem::path& file);

// An exclusive lock on byte 0 of the lock file, held for the object's lifetime. Waits up to
// `timeout` for another holder, then throws Error(kInput) naming the lock file.
class FileLock {
 public:
  // `on_wait` is called once when the lock has been held by another process for `notice_after`,
  // so a person is not left staring at a silent command for up to `timeout`.
  FileLock(const std::filesystem::path& lock_path, std::chrono::milliseconds timeout,
           const std::function<void()>& on_wait = {},
           std::chrono::milliseconds notice_after = std::chrono::seconds(1));
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  UniqueFd fd_;  // closing it releases the lock
};

// ProfileClaim is declared in rolesanywhere/update.hpp: the command line holds one.

}  // namespace rolesanywhere::update
