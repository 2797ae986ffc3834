// Reading key and certificate files with errors a person can act on: the file is missing, is
// not readable by this user, is a directory, is empty, or (a pipe) never delivers. OpenSSL's own
// BIO errors say none of that.
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/text.hpp"
#include "rolesanywhere/unique_fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <span>
#include <system_error>

namespace rolesanywhere::identity_detail {
namespace {

using Deadline = std::chrono::steady_clock::time_point;

// Key and certificate files are a few kilobytes; anything this large is the wrong file.
constexpr std::size_t kMaxFileSize = 16 * 1024 * 1024;

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

// "10 s", or "250 ms" for a limit that is not whole seconds.
std::string describe(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

[[noreturn]] void throw_timed_out(const std::string& label, bool delivered_some,
                                  std::chrono::milliseconds timeout) {
  if (!delivered_some)
    throw Error(Error::Kind::kInput, label + " delivered no data within " + describe(timeout) +
                                         ": is anything writing to it?");
  throw Error(Error::Kind::kInput, label + " did not finish within " + describe(timeout) +
                                       ": its writer sent part of the data, then neither more "
                                       "nor its end");
}

// Waits until `fd` has data or its end, or throws when the deadline passes first.
void wait_readable(int fd, Deadline deadline, const std::string& label, bool delivered_some,
                   std::chrono::milliseconds timeout) {
  while (true) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw_timed_out(label, delivered_some, timeout);
    pollfd entry{fd, POLLIN, 0};
    const int ready =
        ::poll(&entry, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) throw_os_error(label, errno);
  }
}

}  // namespace

std::string file_label(const std::string& flag, std::string_view noun, const std::string& path) {
  return label_or(flag, noun) + " " + path;
}

SecretString read_input_file(const std::string& path, const std::string& label,
                             std::chrono::milliseconds timeout) {
  const Deadline deadline = std::chrono::steady_clock::now() + timeout;
  if (path.empty()) throw Error(Error::Kind::kInvalidArgument, label + ": no file name given");

  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) throw_os_error(label, errno);
  if (S_ISDIR(status.st_mode)) {
    throw Error(Error::Kind::kInput, label + " is a directory, not a file");
  }

  // Non-regular files (a pipe from process substitution, a FIFO) are allowed: read until end of
  // input, within the deadline. O_NONBLOCK because opening a FIFO with no writer otherwise
  // waits in open() itself, for ever; the waiting is done in poll instead, which can give up.
  // No stdio: its buffer would hold a copy of the key that fclose frees unwiped.
  const UniqueFd file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!file) throw_os_error(label, errno);

  // The bytes may be an unencrypted private key: every buffer they pass through is wiped, the
  // whole file is reserved up front (for a regular file) so that growing does not leave copies
  // behind, and growth past that (a pipe, a file that grew) goes through append_wiping.
  std::string contents;
  char buffer[8192];
  const WipeOnExit wipe_contents{contents};
  const WipeOnExit wipe_buffer{buffer};
  if (S_ISREG(status.st_mode) && status.st_size > 0)
    contents.reserve(std::min(static_cast<std::size_t>(status.st_size), kMaxFileSize + 1));

  // Read only once poll says so: a FIFO opened before any writer reports the end of input to
  // read() at once, while poll waits for a writer to come and go (Linux suppresses the hang-up of
  // a FIFO opened with O_NONBLOCK until it has seen a writer; an anonymous pipe from process
  // substitution whose writer is already done reports it). Then read until the pipe is empty.
  while (true) {
    wait_readable(file.get(), deadline, label, !contents.empty(), timeout);
    ssize_t got = 0;
    while ((got = ::read(file.get(), buffer, sizeof buffer)) > 0) {
      append_wiping(contents, std::string_view(buffer, static_cast<std::size_t>(got)));
      if (contents.size() > kMaxFileSize) {
        throw Error(Error::Kind::kInput, label + " is too large to be a key or certificate file");
      }
    }
    if (got == 0) break;  // the end of the input
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) throw_os_error(label, errno);
  }
  if (contents.empty()) throw Error(Error::Kind::kInput, label + " is empty");
  return SecretString(std::move(contents));
}

SecretString read_input_descriptor(int fd, const std::string& label,
                                   std::chrono::milliseconds timeout) {
  const Deadline deadline = std::chrono::steady_clock::now() + timeout;
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) {
    if (errno == EBADF)
      throw Error(Error::Kind::kInput, label + ": file descriptor " + std::to_string(fd) +
                                           " is not open (was it passed to the helper?)");
    throw_os_error(label, errno);
  }
  if ((flags & O_ACCMODE) == O_WRONLY)
    throw Error(Error::Kind::kInput,
                label + ": file descriptor " + std::to_string(fd) + " is open for writing only");
  struct stat status {};
  if (::fstat(fd, &status) == 0 && S_ISDIR(status.st_mode))
    throw Error(Error::Kind::kInput, label + " is a directory, not a file");

  // The descriptor is inherited and may be blocking: poll before every read, so a writer that
  // never finishes is given up on as with a FIFO. Its flags are left as they are, since the
  // file description is shared with whoever passed it.
  std::string contents;
  char buffer[8192];
  const WipeOnExit wipe_contents{contents};
  const WipeOnExit wipe_buffer{buffer};
  while (true) {
    wait_readable(fd, deadline, label, !contents.empty(), timeout);
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      throw_os_error(label, errno);
    }
    append_wiping(contents, std::string_view(buffer, static_cast<std::size_t>(got)));
    if (contents.size() > kMaxFileSize)
      throw Error(Error::Kind::kInput, label + " is too large to be a key or certificate");
  }
  if (contents.empty()) throw Error(Error::Kind::kInput, label + " is empty");
  return SecretString(std::move(contents));
}

}  // namespace rolesanywhere::identity_detail
