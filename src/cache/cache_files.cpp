#include "cache_files.hpp"

#include "cache_entry.hpp"

#include "rolesanywhere/secret.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>

namespace rolesanywhere::cache_detail {
namespace fs = std::filesystem;
namespace {

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string errno_text(int error_number) { return std::strerror(error_number); }

// mkdir of every missing component, each 0700 (the umask may only take bits away).
int create_directories_0700(const fs::path& directory) {
  fs::path current;
  for (const fs::path& part : directory) {
    current /= part;
    if (current == current.root_path()) continue;
    if (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST) return errno;
  }
  return 0;
}

std::string temporary_prefix(const std::string& name) { return "." + name + ".tmp-"; }

std::string unique_temporary_name(const std::string& name) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  char suffix[48];
  std::snprintf(suffix, sizeof suffix, "%d-%016llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(generator()));
  return temporary_prefix(name) + suffix;
}

std::optional<std::string> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return "write: " + errno_text(errno);
    }
    if (written == 0) return "write: no progress (the file system took no bytes)";
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return std::nullopt;
}

// 0, or the errno of the attempt (EAGAIN: held by another).
int try_lock(int fd) {
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = 0;
  range.l_len = 1;
  if (::fcntl(fd, F_OFD_SETLK, &range) == 0) return 0;
  return errno == EACCES ? EAGAIN : errno;
}

}  // namespace

std::optional<std::string> not_private(const struct stat& status) {
  if (status.st_uid != ::geteuid())
    return "it belongs to uid " + std::to_string(status.st_uid) + ", not to uid " +
           std::to_string(::geteuid());
  if ((status.st_mode & 077) != 0)
    return "its mode " + mode_text(status.st_mode) + " lets group or others in (0700/0600 wanted)";
  return std::nullopt;
}

OpenedDirectory open_cache_directory(const fs::path& directory) {
  OpenedDirectory result;
  const std::string shown = "the cache directory " + directory.string();
  if (directory.empty()) {
    result.problem = "no cache directory";
    return result;
  }
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  result.fd.reset(::open(directory.c_str(), kFlags));
  if (!result.fd && errno == ENOENT) {
    if (const int error_number = create_directories_0700(directory)) {
      result.problem = "cannot create " + shown + ": " + errno_text(error_number);
      return result;
    }
    result.fd.reset(::open(directory.c_str(), kFlags));
  }
  if (!result.fd) {
    const int error_number = errno;
    struct stat link {};
    if (::lstat(directory.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
      result.problem = shown + " is a symbolic link";
    else if (error_number == ENOTDIR)
      result.problem = shown + " is not a directory";
    else
      result.problem = "cannot open " + shown + ": " + errno_text(error_number);
    return result;
  }
  struct stat status {};
  if (::fstat(result.fd.get(), &status) != 0) {
    result.problem = "cannot examine " + shown + ": " + errno_text(errno);
    result.fd.reset();
    return result;
  }
  if (const auto why = not_private(status)) {
    result.problem = shown + " is not private: " + *why;
    result.fd.reset();
  }
  return result;
}

EntryFile read_entry_file(int directory_fd, const std::string& name) {
  EntryFile entry;
  const UniqueFd fd(
      ::openat(directory_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    const int error_number = errno;
    if (error_number == ENOENT) return entry;
    entry.status = error_number == ELOOP ? EntryFile::Status::kUnsafe : EntryFile::Status::kError;
    entry.problem = error_number == ELOOP ? "it is a symbolic link"
                                          : "it cannot be opened: " + errno_text(error_number);
    return entry;
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    entry.status = EntryFile::Status::kError;
    entry.problem = "it cannot be examined: " + errno_text(errno);
    return entry;
  }
  if (!S_ISREG(status.st_mode)) {
    entry.status = EntryFile::Status::kUnsafe;
    entry.problem = "it is not a regular file";
    return entry;
  }
  if (const auto why = not_private(status)) {
    entry.status = EntryFile::Status::kUnsafe;
    entry.problem = "it is not private: " + *why;
    return entry;
  }
  if (static_cast<std::size_t>(status.st_size) > kMaxEntryBytes) {
    entry.status = EntryFile::Status::kDamaged;
    entry.problem = "it is too large to be an entry";
    return entry;
  }
  // One allocation (no reallocation leaves an unwiped copy of a plain entry behind); a file
  // that grew since fstat is cut at the limit and fails to decode.
  entry.bytes.resize(kMaxEntryBytes);
  std::size_t filled = 0;
  while (filled < entry.bytes.size()) {
    const ssize_t got = ::read(fd.get(), entry.bytes.data() + filled, entry.bytes.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      OPENSSL_cleanse(entry.bytes.data(), filled);
      entry.bytes.clear();
      entry.status = EntryFile::Status::kError;
      entry.problem = "it cannot be read: " + errno_text(errno);
      return entry;
    }
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  entry.bytes.resize(filled);
  entry.status = EntryFile::Status::kRead;
  return entry;
}

std::optional<std::string> write_entry_file(int directory_fd, const std::string& name,
                                            std::string_view bytes) {
  const std::string temporary = unique_temporary_name(name);
  UniqueFd fd(::openat(directory_fd, temporary.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return "cannot create a temporary file: " + errno_text(errno);
  std::optional<std::string> problem;
  if (::fchmod(fd.get(), 0600) != 0)
    problem = "chmod: " + errno_text(errno);
  else if (auto written = write_all(fd.get(), bytes))
    problem = std::move(written);
  else if (::fsync(fd.get()) != 0)
    problem = "fsync: " + errno_text(errno);
  else if (fd.close() != 0)
    problem = "close: " + errno_text(errno);
  else if (::renameat(directory_fd, temporary.c_str(), directory_fd, name.c_str()) != 0)
    problem = "rename: " + errno_text(errno);
  if (problem) {
    ::unlinkat(directory_fd, temporary.c_str(), 0);
    return problem;
  }
  // Some file systems cannot sync a directory (EINVAL); the rename itself has happened.
  (void)::fsync(directory_fd);
  return std::nullopt;
}

void remove_stale_temporaries(int directory_fd, const std::string& name) {
  const int listing_fd = ::openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing_fd < 0) return;
  DIR* listing = ::fdopendir(listing_fd);  // owns listing_fd from here
  if (!listing) {
    ::close(listing_fd);
    return;
  }
  const std::string prefix = temporary_prefix(name);
  const std::time_t now = std::time(nullptr);
  while (const dirent* item = ::readdir(listing)) {
    const std::string_view file = item->d_name;
    if (!file.starts_with(prefix)) continue;
    struct stat status {};
    if (::fstatat(directory_fd, item->d_name, &status, AT_SYMLINK_NOFOLLOW) == 0 &&
        now - status.st_mtime > 60)
      ::unlinkat(directory_fd, item->d_name, 0);
  }
  ::closedir(listing);
}

EntryLock::EntryLock(int directory_fd, const std::string& name, std::chrono::milliseconds wait,
                     const std::function<void()>& on_wait) {
  const std::string lock_name = name + ".lock";
  fd_.reset(::openat(directory_fd, lock_name.c_str(),
                     O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd_) {
    problem_ = errno == ELOOP ? "the lock file is a symbolic link"
                              : "cannot open the lock file: " + errno_text(errno);
    return;
  }
  struct stat status {};
  if (::fstat(fd_.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
    problem_ = "the lock file is not a regular file";
    return;
  }
  if (const auto why = not_private(status)) {
    problem_ = "the lock file is not private: " + *why;
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  auto pause = std::chrono::milliseconds(2);
  bool waiting = false;
  for (;;) {
    const int error_number = try_lock(fd_.get());
    const auto now = std::chrono::steady_clock::now();
    waited_ = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
    if (error_number == 0) {
      status_ = waiting ? Status::kLockedAfterWait : Status::kLocked;
      return;
    }
    if (error_number != EAGAIN && error_number != EINTR) {
      problem_ = "cannot lock the lock file: " + errno_text(error_number);
      return;
    }
    if (now - started >= wait) {
      status_ = Status::kTimedOut;
      return;
    }
    if (!waiting) {
      waiting = true;
      if (on_wait) on_wait();
    }
    // Short pauses first (the other's fetch may be about to end), then at most 25 ms apart.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wait - (now - started));
    std::this_thread::sleep_for(std::min({pause, left + std::chrono::milliseconds(1)}));
    pause = std::min(pause * 2, std::chrono::milliseconds(25));
  }
}

}  // namespace rolesanywhere::cache_detail
