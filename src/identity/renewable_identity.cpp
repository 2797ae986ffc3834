#include "rolesanywhere/renewable_identity.hpp"

#include "rolesanywhere/error.hpp"

#include <sys/stat.h>

#include <utility>

namespace rolesanywhere {

namespace {

std::int64_t nanoseconds(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

}  // namespace

std::optional<FileStamp> stamp_file(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return std::nullopt;
  return FileStamp{status.st_dev, status.st_ino, status.st_size, nanoseconds(status.st_mtim),
                   nanoseconds(status.st_ctim)};
}

RenewableIdentity::RenewableIdentity(std::vector<std::string> paths, Load load)
    : paths_(std::move(paths)),
      load_(std::move(load)),
      loaded_stamps_(stamp_all()),
      identity_(std::make_shared<const Identity>(load_())) {}

RenewableIdentity::Stamps RenewableIdentity::stamp_all() const {
  Stamps stamps;
  stamps.reserve(paths_.size());
  for (const std::string& path : paths_) stamps.push_back(stamp_file(path));
  return stamps;
}

RenewableIdentity::Check RenewableIdentity::reload_if_changed() {
  Stamps now = stamp_all();
  if (now == loaded_stamps_) return {};
  try {
    identity_ = std::make_shared<const Identity>(load_());
  } catch (const Error& error) {
    // Retried at every check, even when the files stay as they are: "not valid yet" passes with
    // time. Reported once per state of the files.
    Check check{Check::Outcome::kFailed, error.what(), failed_stamps_ != now};
    failed_stamps_ = std::move(now);
    return check;
  }
  loaded_stamps_ = std::move(now);
  failed_stamps_.reset();
  return {Check::Outcome::kReloaded, {}, false};
}

}  // namespace rolesanywhere
