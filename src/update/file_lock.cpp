#include "file_lock.hpp"

#include "credentials_path.hpp"
#include "file_error.hpp"
#include "path_policy.hpp"

#include "rolesanywhere/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

namespace rolesanywhere::update {
namespace fs = std::filesystem;
namespace {

// Why the lock file could not be opened, with the remedy where there is one (it holds no data:
// remove it).
[[noreturn]] void refuse_lock_file(const fs::path& lock_path, int error_number) {
  struct stat status {};
  if (error_number == ELOOP)
    throw Error(Error::Kind::kInput, "the lock file " + lock_path.string() +
                                         " is a symbolic link; it should be a plain file. It "
                                         "holds no data: remove it and try again");
  if (error_number == EACCES && ::lstat(lock_path.c_str(), &status) == 0 &&
      status.st_uid != ::geteuid())
    throw Error(Error::Kind::kInput,
                "cannot open the lock file " + lock_path.string() + ": " +
                    std::strerror(error_number) + "; it belongs to uid " +
                    std::to_string(status.st_uid) +
                    " (an update run as another user, such as root?). It holds no data: "
                    "remove it and try again");
  if (error_number == EACCES || error_number == ENOENT)
    throw_file_error("create the lock file in", directory_of(lock_path) / "", error_number);
  throw_file_error("open the lock file", lock_path, error_number);
}

// Opens (creating it if missing) the lock file for writing, never through a symbolic link: a
// lock file is never one, and root following a user's link would open a file of the user's
// choosing.
UniqueFd open_lock_file(const fs::path& lock_path) {
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) refuse_lock_file(lock_path, errno);
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode))
    throw Error(Error::Kind::kInput, "the lock file " + lock_path.string() +
                                         " is not a plain file. It holds no data: remove it "
                                         "and try again");
  return fd;
}

// An exclusive lock on one byte of the lock file, tied to the open file description (not the
// process). Returns 0, or the errno of the attempt (EAGAIN: held by another).
int try_lock_byte(int fd, off_t offset) {
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = offset;
  range.l_len = 1;
  if (::fcntl(fd, F_OFD_SETLK, &range) == 0) return 0;
  return errno == EACCES ? EAGAIN : errno;
}

// FNV-1a: a stable byte offset per profile name, never 0 (collisions among a user's few profiles
// are astronomically unlikely in 62 bits).
off_t claim_offset(std::string_view profile) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : profile) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<off_t>(1 + (hash & 0x3fffffffffffffffull));
}

}  // namespace

fs::path lock_file_path(const fs::path& file) {
  fs::path lock = file;
  lock += ".lock";
  return lock;
}

FileLock::FileLock(const fs::path& lock_path, std::chrono::milliseconds timeout,
                   const std::function<void()>& on_wait, std::chrono::milliseconds notice_after)
    : fd_(open_lock_file(lock_path)) {
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  bool noticed = false;
  for (;;) {
    const int error_number = try_lock_byte(fd_.get(), 0);
    if (error_number == 0) return;
    if (error_number != EAGAIN && error_number != EINTR)
      throw_file_error("lock", lock_path, error_number);
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(Error::Kind::kInput,
                  "another process has held the lock " + lock_path.string() + " for more than " +
                      std::to_string(timeout.count() / 1000) + " s; the file was not changed");
    if (on_wait && !noticed && std::chrono::steady_clock::now() - started >= notice_after) {
      noticed = true;
      on_wait();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ProfileClaim::ProfileClaim(const fs::path& configured_file, std::string_view profile,
                           const UpdateLabels& labels) {
  refuse_paths_others_control(configured_file);
  const fs::path file = resolve_symlinks(configured_file);
  create_private_directories(directory_of(file));
  UniqueFd fd = open_lock_file(lock_file_path(file));
  const int error_number = try_lock_byte(fd.get(), claim_offset(profile));
  if (error_number == 0) {
    fd_ = std::move(fd);
    return;
  }
  if (error_number == EAGAIN) {
    const std::string once_hint =
        labels.once_flag.empty() ? "" : " (or use " + labels.once_flag + " for a single update)";
    throw Error(Error::Kind::kInput, "another update process is already keeping profile '" +
                                         std::string(profile) + "' in " + file.string() +
                                         " fresh; stop that one first" + once_hint);
  }
  // EINVAL: no OFD locks on this kernel or file system; nothing is claimed.
}

}  // namespace rolesanywhere::update
