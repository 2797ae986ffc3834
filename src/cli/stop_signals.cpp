#include "stop_signals.hpp"

#include "rolesanywhere/error.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>

namespace rolesanywhere::cli {

namespace {

// The write end of the pipe the handler writes to. Made once and never closed: a handler running
// on another thread while a StopSignals goes away must not write into a reused descriptor.
std::atomic<int> signal_pipe{-1};
static_assert(std::atomic<int>::is_always_lock_free, "the handler reads it");
std::atomic<bool> instance_exists{false};

// The read end; creates the pipe on first use.
int signal_pipe_read_end() {
  static const int read_end = [] {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      throw Error(Error::Kind::kInternal,
                  std::string("cannot create the signal pipe: ") + std::strerror(errno));
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    signal_pipe = fds[1];
    return fds[0];
  }();
  return read_end;
}

// Byte written by the destructor to end the waiting thread; signal numbers are never 0.
constexpr unsigned char kQuit = 0;

extern "C" void on_stop_signal(int signal_number) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  // Non-blocking: should the pipe ever be full, a stop is already pending anyway.
  [[maybe_unused]] const ssize_t written = ::write(signal_pipe.load(), &byte, 1);
  errno = saved_errno;
}

void install(int signal_number, struct sigaction& previous) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // Most system calls the signal interrupts in other threads resume; poll, nanosleep and calls
  // with a timeout still fail with EINTR, which libcurl and libmicrohttpd retry.
  action.sa_flags = SA_RESTART;
  if (sigaction(signal_number, &action, &previous) != 0)
    throw Error(Error::Kind::kInternal, std::string("cannot handle signal ") +
                                            std::to_string(signal_number) + ": " +
                                            std::strerror(errno));
}

}  // namespace

bool take_over_hangups() {
  struct sigaction current {};
  if (sigaction(SIGHUP, nullptr, &current) != 0 || current.sa_handler == SIG_IGN) return false;
  const int terminal = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (terminal >= 0) {
    ::close(terminal);
    return false;
  }
  std::signal(SIGHUP, SIG_IGN);
  return true;
}

StopSignals::StopSignals(std::stop_source stop, std::function<void()> on_hangup)
    : on_hangup_(std::move(on_hangup)), stop_(std::move(stop)) {
  if (instance_exists.exchange(true))
    throw Error(Error::Kind::kInternal, "StopSignals exists already");
  int installed = 0;
  try {
    pipe_read_ = signal_pipe_read_end();
    // A byte a handler on another thread wrote after an earlier instance had gone (tests make
    // several) is not a signal for this one.
    int stale = 0;
    if (ioctl(pipe_read_, FIONREAD, &stale) == 0)
      for (unsigned char byte = 0; stale > 0 && ::read(pipe_read_, &byte, 1) == 1; --stale) {
      }
    install(SIGTERM, previous_term_);
    ++installed;
    install(SIGINT, previous_int_);
    ++installed;
    if (on_hangup_) install(SIGHUP, previous_hup_);
    ++installed;
    start_waiter();
  } catch (...) {
    if (installed > 2 && on_hangup_) sigaction(SIGHUP, &previous_hup_, nullptr);
    if (installed > 1) sigaction(SIGINT, &previous_int_, nullptr);
    if (installed > 0) sigaction(SIGTERM, &previous_term_, nullptr);
    instance_exists = false;
    throw;
  }
}

void StopSignals::start_waiter() {
  // The waiter reads until its own destructor's kQuit; the first signal decides the name, later
  // ones change nothing.
  waiter_ = std::jthread([this] {
    unsigned char byte = kQuit;
    for (;;) {
      const ssize_t n = ::read(pipe_read_, &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1 || byte == kQuit) return;
      if (byte == SIGHUP) {
        if (on_hangup_) on_hangup_();
        continue;
      }
      int none = 0;
      received_.compare_exchange_strong(none, byte);
      stop_.request_stop();
    }
  });
}

StopSignals::~StopSignals() {
  sigaction(SIGTERM, &previous_term_, nullptr);
  sigaction(SIGINT, &previous_int_, nullptr);
  if (on_hangup_) sigaction(SIGHUP, &previous_hup_, nullptr);
  const unsigned char quit = kQuit;
  [[maybe_unused]] const ssize_t written = ::write(signal_pipe.load(), &quit, 1);
  waiter_.join();
  instance_exists = false;
}

void StopSignals::wait() const {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  // Returns when the stop is requested; the predicate alone never ends the wait.
  woken.wait(lock, stop_.get_token(), [] { return false; });
}

const char* StopSignals::received_name() const {
  switch (received_.load()) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "no signal";
  }
}

}  // namespace rolesanywhere::cli
