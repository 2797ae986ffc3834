#include "atomic_file.hpp"

#include "credentials_path.hpp"
#include "file_error.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <system_error>

namespace rolesanywhere::update {
namespace fs = std::filesystem;
namespace {

std::string temporary_prefix(const fs::path& file) {
  return "." + file.filename().string() + ".tmp-";
}

fs::path unique_temporary_path(const fs::path& file) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%d-%016llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(generator()));
  return directory_of(file) / (temporary_prefix(file) + suffix);
}

void fsync_directory(const fs::path& directory) {
  const UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_file_error("open the directory", directory, errno);
  // Some file systems cannot sync a directory (EINVAL); the rename itself has happened.
  if (::fsync(fd.get()) != 0 && errno != EINVAL)
    throw_file_error("sync the directory", directory, errno);
}

// The temporary file beside `file` that becomes it: created with O_EXCL and mode 0600, removed
// when it dies unless it was renamed over `file`.
class TemporaryFile {
 public:
  explicit TemporaryFile(const fs::path& file)
      : path_(unique_temporary_path(file)),
        fd_(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) {
    if (!fd_) throw_file_error("create a temporary file for", file, errno);
  }
  ~TemporaryFile() {
    if (!renamed_) ::unlink(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  // The mode (fchmod is not filtered by the umask, so the new file gets exactly the old mode)
  // and, for root updating someone's file, the owner, so it stays theirs; anyone else cannot
  // chown and need not.
  void take_mode_and_owner(const FileSnapshot& original) {
    if (::fchmod(fd_.get(), original.mode) != 0) throw_file_error("set the mode of", path_, errno);
    if (original.exists && ::geteuid() == 0)
      (void)!::fchown(fd_.get(), original.owner, original.group);
  }

  void write(std::string_view text) {
    while (!text.empty()) {
      const ssize_t written = ::write(fd_.get(), text.data(), text.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        throw_file_error("write", path_, errno);
      }
      text.remove_prefix(static_cast<std::size_t>(written));
    }
  }

  void sync() {
    if (::fsync(fd_.get()) != 0) throw_file_error("sync", path_, errno);
  }

  // Empties the file to write it again.
  void truncate() {
    if (::ftruncate(fd_.get(), 0) != 0 || ::lseek(fd_.get(), 0, SEEK_SET) != 0)
      throw_file_error("rewrite", path_, errno);
  }

  // Closes it, reporting a failing close (NFS reports write errors there).
  void close() {
    if (fd_.close() != 0) throw_file_error("write", path_, errno);
  }

  void rename_over(const fs::path& file) {
    if (::rename(path_.c_str(), file.c_str()) != 0) throw_file_error("replace", file, errno);
    renamed_ = true;
  }

 private:
  fs::path path_;
  UniqueFd fd_;
  bool renamed_ = false;
};

// Writes `text`, and again what `before_rename` returns instead until it returns nullopt (at
// most 10 redos), each synced.
void write_until_settled(TemporaryFile& temporary, std::string_view text,
                         const std::function<std::optional<std::string>()>& before_rename,
                         const WriteStepHook& step) {
  std::string_view current = text;
  std::string redone;  // the text of the latest redo; it holds secrets too
  const WipeOnExit wipe_redone(redone);
  for (int attempt = 0;; ++attempt) {
    temporary.write(current);
    step("written");
    temporary.sync();
    step("synced");
    std::optional<std::string> redo =
        (before_rename && attempt < 10) ? before_rename() : std::nullopt;
    if (!redo) return;
    const WipeOnExit wipe_redo(*redo);
    redone.swap(*redo);  // the previous redo, now in *redo, is wiped at the end of this block
    current = redone;
    temporary.truncate();
  }
}

}  // namespace

FileSnapshot read_file_snapshot(const fs::path& file) {
  FileSnapshot snapshot;
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return snapshot;
    throw_file_error("read", file, errno);
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) throw_file_error("read", file, errno);
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
      throw_file_error("read", file, errno);
    }
    if (got == 0) break;
    snapshot.text.append(buffer.data(), static_cast<std::size_t>(got));
  }
  return snapshot;
}

void write_file_atomically(const fs::path& file, std::string_view text,
                           const FileSnapshot& original,
                           const std::function<std::optional<std::string>()>& before_rename,
                           const WriteStepHook& hook) {
  const WriteStepHook step = [&hook](std::string_view name) {
    if (hook) hook(name);
  };
  TemporaryFile temporary(file);  // from here on, any failure removes it
  temporary.take_mode_and_owner(original);
  write_until_settled(temporary, text, before_rename, step);
  temporary.close();
  step("before-rename");
  temporary.rename_over(file);
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

}  // namespace rolesanywhere::update
