// One owned file descriptor, closed when its owner dies: every fd the helper opens is held by one
// of these, so no early return or exception leaks one.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace rolesanywhere {

// Move-only owner of a file descriptor (-1: none). Closing in the destructor, reset() or a move
// assignment keeps errno, so an fd going out of scope between a failing call and the code that
// reports its errno does not change what is reported.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the fd held, if any, and owns `fd` instead.
  void reset(int fd = -1) noexcept {
    const int old = std::exchange(fd_, fd);
    if (old < 0) return;
    const int saved_errno = errno;
    ::close(old);
    errno = saved_errno;
  }

  // Closes now and returns what close(2) returned (-1 with errno set on failure), for a caller
  // that must report a failing close: NFS reports write errors there. 0 when none is held.
  int close() noexcept { return fd_ < 0 ? 0 : ::close(std::exchange(fd_, -1)); }

 private:
  int fd_ = -1;
};

}  // namespace rolesanywhere
