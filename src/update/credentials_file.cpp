#include "credentials_file.hpp"

#include "credentials_ini.hpp"

#include "rolesanywhere/error.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <thread>
#include <vector>

namespace rolesanywhere::update {
namespace fs = std::filesystem;
namespace {

// A file descriptor closed when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  // Closes now, so that a failing close (NFS reports write errors there) can be reported.
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error_number) {
  throw Error(Error::Kind::kInput,
              "cannot " + what + " " + path.string() + ": " + std::strerror(error_number));
}

std::string temporary_prefix(const fs::path& file) {
  return "." + file.filename().string() + ".tmp-";
}

fs::path directory_of(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

fs::path unique_temporary_path(const fs::path& file) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%d-%016llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(generator()));
  return directory_of(file) / (temporary_prefix(file) + suffix);
}

void write_all(int fd, std::string_view text, const fs::path& path) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("write", path, errno);
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

void fsync_directory(const fs::path& directory) {
  UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("open the directory", directory, errno);
  // Some file systems cannot sync a directory (EINVAL); the rename itself has happened.
  if (::fsync(fd.get()) != 0 && errno != EINVAL) fail("sync the directory", directory, errno);
}

// As root, refuses a path that anyone else could change, as ssh's StrictModes does: root
// following, reading or replacing what another user controls can be made to read or write files
// of that user's choosing, through links or swaps timed between two steps, and no check on names
// closes such races. Every directory from / to the file must be root's and writable by no one
// else (a root-owned sticky directory such as /tmp passes when the next entry on the path exists:
// others cannot swap entries there), every link on the way root's (its target is then checked
// the same way), and the file root's when it exists. Someone else's file is updated by running
// update as that user.
void refuse_paths_others_control(const fs::path& file) {
  if (::geteuid() != 0) return;
  auto refuse = [&](const fs::path& where, const std::string& problem) {
    throw Error(Error::Kind::kInput,
                "refusing to update " + file.string() + " as root: " + where.string() + " " +
                    problem +
                    ", so another user could make root read or write a file of their choosing "
                    "through it. Run update as the user the file is for (sudo -u NAME "
                    "rolesanywhere-helper update ...)");
  };
  std::deque<std::string> todo;
  std::error_code cwd_error;
  const fs::path absolute = fs::absolute(file, cwd_error);
  if (cwd_error) refuse(file, "cannot be made absolute (" + cwd_error.message() + ")");
  for (const fs::path& part : absolute) todo.push_back(part.string());
  fs::path current;
  // Whether `current` (a directory already checked: root's, and sticky if others can write it)
  // is one that others can write.
  auto in_shared_directory = [&current] {
    struct stat status {};
    return ::lstat(current.c_str(), &status) == 0 && (status.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  };
  int links_followed = 0;
  while (!todo.empty()) {
    const std::string name = todo.front();
    todo.pop_front();
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      // The directory above one already checked was checked on the way down (or is /).
      current = current.parent_path();
      continue;
    }
    const fs::path next = name == "/" ? fs::path("/") : current / name;
    struct stat status {};
    if (::lstat(next.c_str(), &status) != 0) {
      const int error_number = errno;
      if (error_number != ENOENT)
        refuse(next, std::string("cannot be checked (") + std::strerror(error_number) + ")");
      if (in_shared_directory()) refuse(next, "does not exist yet in a directory others can write");
      return;  // missing: root makes the rest inside a directory only root controls
    }
    if (status.st_uid != 0) refuse(next, "belongs to uid " + std::to_string(status.st_uid));
    if (S_ISLNK(status.st_mode)) {
      if (++links_followed > 40) refuse(file, "has too many levels of symbolic links");
      std::error_code error;
      const fs::path target = fs::read_symlink(next, error);
      if (error) refuse(next, "is a link that cannot be read (" + error.message() + ")");
      std::vector<std::string> parts;
      for (const fs::path& part : target) parts.push_back(part.string());
      todo.insert(todo.begin(), parts.begin(), parts.end());
      if (target.is_absolute()) current.clear();
      continue;
    }
    if (S_ISDIR(status.st_mode)) {
      if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(status.st_mode & S_ISVTX))
        refuse(next, "is a directory that others can write");
      current = next;
      continue;
    }
    // In a directory others can write, an entry of root's may still be another user's hard link
    // to a file of root's, made in advance.
    if (in_shared_directory() && status.st_nlink != 1)
      refuse(next, "has other hard links, in a directory others can write");
    current = next;
  }
}

// Writes through a symlink (dotfile managers link ~/.aws/credentials) instead of replacing it.
fs::path resolve_symlinks(const fs::path& file) {
  std::error_code error;
  if (fs::is_symlink(fs::symlink_status(file, error))) {
    fs::path target = fs::weakly_canonical(file, error);
    if (!error) return target;
  }
  return file;
}

}  // namespace

fs::path credentials_file_path(const char* shared_credentials_file_env, const char* home_env) {
  const bool home_known = home_env != nullptr && *home_env != '\0';
  if (shared_credentials_file_env != nullptr && *shared_credentials_file_env != '\0') {
    std::string_view configured = shared_credentials_file_env;
    if (configured == "~" || configured.starts_with("~/")) {
      if (!home_known)
        throw Error(Error::Kind::kInput,
                    "AWS_SHARED_CREDENTIALS_FILE starts with ~ but the home directory is unknown");
      return fs::path(home_env) / std::string(configured.substr(configured.size() > 1 ? 2 : 1));
    }
    return fs::path(std::string(configured));
  }
  if (!home_known)
    throw Error(Error::Kind::kInput,
                "cannot find the credentials file: neither AWS_SHARED_CREDENTIALS_FILE nor HOME "
                "is set");
  return fs::path(home_env) / ".aws" / "credentials";
}

fs::path credentials_file_path_from_environment() {
  const char* home = std::getenv("HOME");
  std::string password_home;
  if (home == nullptr || *home == '\0') {
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found &&
        found->pw_dir) {
      password_home = found->pw_dir;
      home = password_home.c_str();
    }
  }
  return credentials_file_path(std::getenv("AWS_SHARED_CREDENTIALS_FILE"), home);
}

fs::path lock_file_path(const fs::path& file) {
  fs::path lock = file;
  lock += ".lock";
  return lock;
}

namespace {

// Opens (creating it if missing) the lock file for writing, never through a symbolic link: a
// lock file is never one, and root following a user's link would open a file of the user's
// choosing. Throws naming the problem and the remedy (it holds no data: remove it).
int open_lock_file(const fs::path& lock_path) {
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int error_number = errno;
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
      fail("create the lock file in", directory_of(lock_path) / "", error_number);
    fail("open the lock file", lock_path, error_number);
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(fd);
    throw Error(Error::Kind::kInput, "the lock file " + lock_path.string() +
                                         " is not a plain file. It holds no data: remove it "
                                         "and try again");
  }
  return fd;
}

// A lock on one byte of the lock file, tied to the open file description (not the process):
// byte 0 serialises writes; a profile's claim (ProfileClaim) is another byte. Byte-range locks
// are what NFS supports (it emulates flock with a whole-file lock, which would collide with the
// claims). Exclusive. Returns 0, or the errno of the attempt (EAGAIN: held by another).
int try_lock_byte(int fd, off_t offset) {
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = offset;
  range.l_len = 1;
  if (::fcntl(fd, F_OFD_SETLK, &range) == 0) return 0;
  return errno == EACCES ? EAGAIN : errno;
}

}  // namespace

FileLock::FileLock(const fs::path& lock_path, std::chrono::milliseconds timeout,
                   const std::function<void()>& on_wait, std::chrono::milliseconds notice_after) {
  fd_ = open_lock_file(lock_path);
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  bool noticed = false;
  for (;;) {
    const int error_number = try_lock_byte(fd_, 0);
    if (error_number == 0) break;
    if (error_number != EAGAIN && error_number != EINTR) {
      ::close(fd_);
      fail("lock", lock_path, error_number);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd_);
      throw Error(Error::Kind::kInput,
                  "another process has held the lock " + lock_path.string() + " for more than " +
                      std::to_string(timeout.count() / 1000) + " s; the file was not changed");
    }
    if (on_wait && !noticed && std::chrono::steady_clock::now() - started >= notice_after) {
      noticed = true;
      try {
        on_wait();
      } catch (...) {
        ::close(fd_);
        throw;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

FileSnapshot read_file_snapshot(const fs::path& file) {
  FileSnapshot snapshot;
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return snapshot;
    fail("read", file, errno);
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) fail("read", file, errno);
  if (!S_ISREG(status.st_mode))
    throw Error(Error::Kind::kInput, "cannot update " + file.string() + ": not a regular file");
  snapshot.exists = true;
  snapshot.mode = status.st_mode & 07777;
  snapshot.owner = status.st_uid;
  snapshot.group = status.st_gid;
  // The file holds other profiles' secrets: read in one allocation where the size allows (no
  // reallocation leaves an unwiped copy behind), and the stack buffer wiped however this ends.
  snapshot.text.reserve(static_cast<std::size_t>(status.st_size) + 1);
  std::string buffer(65536, '\0');
  const WipeOnExit wipe_buffer(buffer);
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("read", file, errno);
    }
    if (got == 0) break;
    snapshot.text.append(buffer.data(), static_cast<std::size_t>(got));
  }
  return snapshot;
}

void create_private_directories(const fs::path& directory) {
  if (directory.empty()) return;
  std::error_code error;
  if (fs::is_directory(directory, error)) return;
  create_private_directories(directory.parent_path() == directory ? fs::path()
                                                                  : directory.parent_path());
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    fail("create the directory", directory, errno);
}

void write_file_atomically(const fs::path& file, std::string_view text,
                           const FileSnapshot& original,
                           const std::function<std::optional<std::string>()>& before_rename,
                           const WriteStepHook& hook) {
  auto step = [&](std::string_view name) {
    if (hook) hook(name);
  };
  const fs::path temporary = unique_temporary_path(file);
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) fail("create a temporary file for", file, errno);
  // From here on, any failure removes the temporary file.
  struct RemoveUnlessRenamed {
    const fs::path& path;
    bool renamed = false;
    ~RemoveUnlessRenamed() {
      if (!renamed) ::unlink(path.c_str());
    }
  } cleanup{temporary};

  // fchmod is not filtered by the umask, so the new file gets exactly the old mode.
  if (::fchmod(fd.get(), original.mode) != 0) fail("set the mode of", temporary, errno);
  // Root updating someone's file keeps it theirs; anyone else cannot chown and need not.
  if (original.exists && ::geteuid() == 0)
    (void)!::fchown(fd.get(), original.owner, original.group);

  std::string_view current = text;
  std::string redone;  // the text of the latest redo; it holds secrets too
  const WipeOnExit wipe_redone(redone);
  for (int attempt = 0;; ++attempt) {
    write_all(fd.get(), current, temporary);
    step("written");
    if (::fsync(fd.get()) != 0) fail("sync", temporary, errno);
    step("synced");
    std::optional<std::string> redo =
        (before_rename && attempt < 10) ? before_rename() : std::nullopt;
    if (!redo) break;
    const WipeOnExit wipe_redo(*redo);
    redone.swap(*redo);  // the previous redo, now in *redo, is wiped at the end of this block
    current = redone;
    if (::ftruncate(fd.get(), 0) != 0 || ::lseek(fd.get(), 0, SEEK_SET) != 0)
      fail("rewrite", temporary, errno);
  }
  if (fd.close() != 0) fail("write", temporary, errno);
  step("before-rename");
  if (::rename(temporary.c_str(), file.c_str()) != 0) fail("replace", file, errno);
  cleanup.renamed = true;
  step("renamed");
  fsync_directory(directory_of(file));
}

void remove_stale_temporary_files(const fs::path& file) {
  const std::string prefix = temporary_prefix(file);
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory_of(file), error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix)) fs::remove(entry.path(), error);
  }
}

namespace {

// Long-term IAM user keys (AKIA...) in the profile would be replaced by temporary credentials for
// good, with no way to get them back: refuse, naming the way out. Temporary ones (ASIA...) are
// what update writes and replaces.
void refuse_long_term_keys(std::string_view text, std::string_view profile, const fs::path& file) {
  const std::optional<std::string> key_id = ini_value(text, profile, "aws_access_key_id");
  if (!key_id || !key_id->starts_with("AKIA")) return;
  throw Error(Error::Kind::kInput,
              "profile '" + std::string(profile) + "' in " + file.string() +
                  " holds long-term access keys (an access key id starting AKIA); update would "
                  "replace them with temporary credentials for good. Choose another profile "
                  "with --profile, or remove those keys from it first; the file was not changed");
}

}  // namespace

namespace {

// FNV-1a: a stable byte offset per profile name (collisions among a user's few profiles are
// astronomically unlikely in 62 bits).
off_t claim_offset(std::string_view profile) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : profile) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<off_t>(1 + (hash & 0x3fffffffffffffffull));
}

}  // namespace

ProfileClaim::ProfileClaim(const fs::path& configured_file, std::string_view profile) {
  refuse_paths_others_control(configured_file);
  const fs::path file = resolve_symlinks(configured_file);
  create_private_directories(directory_of(file));
  const fs::path lock_path = lock_file_path(file);
  fd_ = open_lock_file(lock_path);
  const int error_number = try_lock_byte(fd_, claim_offset(profile));
  if (error_number == 0) return;
  ::close(fd_);
  fd_ = -1;
  if (error_number == EAGAIN)
    throw Error(Error::Kind::kInput,
                "another update process is already keeping profile '" + std::string(profile) +
                    "' in " + file.string() +
                    " fresh; stop that one first (or use --once for a single update)");
  // EINVAL: no OFD locks on this kernel or file system; nothing is claimed.
}

ProfileClaim::~ProfileClaim() {
  if (fd_ >= 0) ::close(fd_);  // releases the claim
}

UpdateResult update_credentials_file(const fs::path& configured_file, std::string_view profile,
                                     const Credentials& credentials, const UpdateOptions& options) {
  check_profile_name(profile);
  refuse_paths_others_control(configured_file);
  const fs::path file = resolve_symlinks(configured_file);
  create_private_directories(directory_of(file));

  FileLock lock(lock_file_path(file), options.lock_timeout, options.on_lock_wait);
  remove_stale_temporary_files(file);
  FileSnapshot snapshot = read_file_snapshot(file);
  const WipeOnExit wipe_snapshot(snapshot.text);
  refuse_long_term_keys(snapshot.text, profile, file);
  std::string text = apply_credentials(snapshot.text, profile, credentials);
  const WipeOnExit wipe_text(text);

  // A writer that ignores our lock may have changed the file while we wrote ours: redo the edit
  // on what is there now, so that its change is not lost.
  auto reread = [&]() -> std::optional<std::string> {
    FileSnapshot now = read_file_snapshot(file);
    const WipeOnExit wipe_now(now.text);
    if (now.exists == snapshot.exists && now.text == snapshot.text) return std::nullopt;
    snapshot.text.swap(now.text);  // the old text, now in now.text, is wiped on return
    snapshot.exists = now.exists;
    refuse_long_term_keys(snapshot.text, profile, file);
    return apply_credentials(snapshot.text, profile, credentials);
  };
  const bool existed = snapshot.exists;
  write_file_atomically(file, text, snapshot, reread, options.hook);
  return {file, !existed};
}

}  // namespace rolesanywhere::update
