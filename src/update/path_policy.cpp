#include "path_policy.hpp"

#include "rolesanywhere/error.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <system_error>
#include <vector>

namespace rolesanywhere::update {
namespace fs = std::filesystem;
namespace {

// Walks the absolute path of the file one name at a time, as the kernel would resolve it,
// checking each entry before going on; the targets of links are walked the same way.
class RootPathWalk {
 public:
  explicit RootPathWalk(const fs::path& file) : file_(file) {
    std::error_code cwd_error;
    const fs::path absolute = fs::absolute(file, cwd_error);
    if (cwd_error) refuse(file, "cannot be made absolute (" + cwd_error.message() + ")");
    for (const fs::path& part : absolute) todo_.push_back(part.string());
  }

  void run() {
    while (!todo_.empty()) {
      const std::string name = todo_.front();
      todo_.pop_front();
      if (!visit(name)) return;
    }
  }

 private:
  [[noreturn]] void refuse(const fs::path& where, const std::string& problem) const {
    throw Error(Error::Kind::kInput,
                "refusing to update " + file_.string() + " as root: " + where.string() + " " +
                    problem +
                    ", so another user could make root read or write a file of their choosing "
                    "through it. Run update as the user the file is for (sudo -u NAME "
                    "rolesanywhere-helper update ...)");
  }

  // Whether `current_` (a directory already checked: root's, and sticky if others can write it)
  // is one that others can write.
  bool in_shared_directory() const {
    struct stat status {};
    return ::lstat(current_.c_str(), &status) == 0 && (status.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  }

  // Checks the next name of the path; false when the rest of the path does not exist yet.
  bool visit(const std::string& name) {
    if (name.empty() || name == ".") return true;
    if (name == "..") {
      // The directory above one already checked was checked on the way down (or is /).
      current_ = current_.parent_path();
      return true;
    }
    const fs::path next = name == "/" ? fs::path("/") : current_ / name;
    struct stat status {};
    if (::lstat(next.c_str(), &status) != 0) {
      check_missing(next, errno);
      return false;  // missing: root makes the rest inside a directory only root controls
    }
    if (status.st_uid != 0) refuse(next, "belongs to uid " + std::to_string(status.st_uid));
    if (S_ISLNK(status.st_mode)) {
      follow_link(next);
    } else if (S_ISDIR(status.st_mode)) {
      if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(status.st_mode & S_ISVTX))
        refuse(next, "is a directory that others can write");
      current_ = next;
    } else {
      // In a directory others can write, an entry of root's may still be another user's hard
      // link to a file of root's, made in advance.
      if (in_shared_directory() && status.st_nlink != 1)
        refuse(next, "has other hard links, in a directory others can write");
      current_ = next;
    }
    return true;
  }

  void check_missing(const fs::path& next, int error_number) const {
    if (error_number != ENOENT)
      refuse(next, std::string("cannot be checked (") + std::strerror(error_number) + ")");
    if (in_shared_directory()) refuse(next, "does not exist yet in a directory others can write");
  }

  // The link's target takes the link's place at the front of the walk.
  void follow_link(const fs::path& link) {
    if (++links_followed_ > 40) refuse(file_, "has too many levels of symbolic links");
    std::error_code error;
    const fs::path target = fs::read_symlink(link, error);
    if (error) refuse(link, "is a link that cannot be read (" + error.message() + ")");
    std::vector<std::string> parts;
    for (const fs::path& part : target) parts.push_back(part.string());
    todo_.insert(todo_.begin(), parts.begin(), parts.end());
    if (target.is_absolute()) current_.clear();
  }

  const fs::path& file_;
  std::deque<std::string> todo_;
  fs::path current_;  // the part of the path checked so far
  int links_followed_ = 0;
};

}  // namespace

void refuse_paths_others_control(const fs::path& file) {
  if (::geteuid() != 0) return;
  RootPathWalk(file).run();
}

}  // namespace rolesanywhere::update
