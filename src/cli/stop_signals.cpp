#include "stop_signals.hpp"

#include <condition_variable>
#include <ctime>
#include <mutex>

namespace rolesanywhere::cli {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  waiter_ = std::jthread([this](std::stop_token done) {
    // Short slices so that destruction does not wait for a signal that never comes.
    const timespec slice{0, 200'000'000};
    while (!done.stop_requested()) {
      const int signal_number = sigtimedwait(&signals_, nullptr, &slice);
      if (signal_number > 0) {
        received_ = signal_number;
        stop_.request_stop();
        return;
      }
    }
  });
}

StopSignals::~StopSignals() {
  waiter_.request_stop();
  waiter_.join();
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
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
