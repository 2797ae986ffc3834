#include "credentials_path.hpp"

#include "file_error.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/update.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace rolesanywhere::update {
namespace fs = std::filesystem;

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

fs::path directory_of(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

fs::path resolve_symlinks(const fs::path& file) {
  std::error_code error;
  if (fs::is_symlink(fs::symlink_status(file, error))) {
    fs::path target = fs::weakly_canonical(file, error);
    if (!error) return target;
  }
  return file;
}

void create_private_directories(const fs::path& directory) {
  if (directory.empty()) return;
  std::error_code error;
  if (fs::is_directory(directory, error)) return;
  create_private_directories(directory.parent_path() == directory ? fs::path()
                                                                  : directory.parent_path());
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    throw_file_error("create the directory", directory, errno);
}

}  // namespace rolesanywhere::update
