// Reading key and certificate files with errors a person can act on: the file is missing, is
// not readable by this user, is a directory or is empty. OpenSSL's own BIO errors say none of that.
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/text.hpp"

#include <sys/stat.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <span>
#include <system_error>

namespace rolesanywhere::identity_detail {
namespace {

// Key and certificate files are a few kilobytes; anything this large is the wrong file.
constexpr std::size_t kMaxFileSize = 16 * 1024 * 1024;

struct FileCloser {
  void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

[[noreturn]] void throw_os_error(const std::string& label, int error_number) {
  if (error_number == ENOENT || error_number == ENOTDIR) {
    throw Error(Error::Kind::kInput, label + " does not exist");
  }
  if (error_number == EACCES || error_number == EPERM) {
    throw Error(Error::Kind::kInput, label + " cannot be read: permission denied");
  }
  throw Error(Error::Kind::kInput,
              label + " cannot be read: " + std::generic_category().message(error_number));
}

}  // namespace

std::string file_label(const std::string& flag, std::string_view noun, const std::string& path) {
  return label_or(flag, noun) + " " + path;
}

SecretString read_input_file(const std::string& path, const std::string& label) {
  if (path.empty()) throw Error(Error::Kind::kInvalidArgument, label + ": no file name given");

  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) throw_os_error(label, errno);
  if (S_ISDIR(status.st_mode)) {
    throw Error(Error::Kind::kInput, label + " is a directory, not a file");
  }

  // Non-regular files (a pipe from process substitution) are allowed: read until end of input.
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) throw_os_error(label, errno);
  // Unbuffered: stdio's own buffer would hold a copy of the key that fclose frees unwiped.
  std::setvbuf(file.get(), nullptr, _IONBF, 0);

  // The bytes may be an unencrypted private key: every buffer they pass through is wiped, the
  // whole file is reserved up front (for a regular file) so that growing does not leave copies
  // behind, and growth past that (a pipe, a file that grew) goes through append_wiping.
  std::string contents;
  char buffer[8192];
  const WipeOnExit wipe_contents{contents};
  const WipeOnExit wipe_buffer{buffer};
  if (S_ISREG(status.st_mode) && status.st_size > 0)
    contents.reserve(std::min(static_cast<std::size_t>(status.st_size), kMaxFileSize + 1));
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get())) {
    append_wiping(contents, std::string_view(buffer, n));
    if (contents.size() > kMaxFileSize) {
      throw Error(Error::Kind::kInput, label + " is too large to be a key or certificate file");
    }
  }
  if (std::ferror(file.get())) throw_os_error(label, errno);
  if (contents.empty()) throw Error(Error::Kind::kInput, label + " is empty");
  return SecretString(std::move(contents));
}

}  // namespace rolesanywhere::identity_detail
