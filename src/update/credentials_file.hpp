// How `update` rewrites one profile of the shared credentials file: lock, read, edit with
// credentials_ini, write atomically, unlock. The parts live beside this file:
//   credentials_path.hpp  where the file is (AWS_SHARED_CREDENTIALS_FILE, HOME, links)
//   path_policy.hpp       what root refuses to touch (paths other users could change)
//   file_lock.hpp         the write lock and the per-profile claim on "<file>.lock"
//   atomic_file.hpp       reading the file, and replacing it crash-safely
// The parts the command line uses are declared in rolesanywhere/update.hpp.
//
// Concurrency: writers that take the lock (every `update` process) hold it across
// read-modify-write, so none of their updates is lost. `aws configure set` and editors do not
// take that lock. To shrink that window, the file is read again right before the rename and the
// edit redone if it changed meanwhile; an edit that lands between that last read and the rename
// can still be lost, and one that is half written when we read it is read half written, as with
// any two programs that write the file without a lock.
#pragma once

#include "atomic_file.hpp"
#include "credentials_path.hpp"
#include "file_lock.hpp"
#include "path_policy.hpp"

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/update.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string_view>

namespace rolesanywhere::update {

struct UpdateResult {
  std::filesystem::path file;  // the file written (symlinks resolved)
  bool created = false;        // the file did not exist before
};

struct UpdateOptions {
  std::chrono::milliseconds lock_timeout{30'000};
  // Called once if another process holds the lock for more than a second.
  std::function<void()> on_lock_wait;
  WriteStepHook hook;
  // How messages name the command-line flags (a bad profile name, long-term keys).
  UpdateLabels labels;
};

// The whole update of one profile: create the directory, lock, read, apply_credentials, write
// atomically (re-reading right before the rename), unlock. Throws Error naming the file; the
// message never holds a credential. Long-term keys (AKIA...) in the profile are refused: update
// would replace them for good.
UpdateResult update_credentials_file(const std::filesystem::path& file, std::string_view profile,
                                     const Credentials& credentials,
                                     const UpdateOptions& options = {});

}  // namespace rolesanywhere::update
