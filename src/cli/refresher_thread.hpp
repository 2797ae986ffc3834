// The thread that runs the refresh loop of serve and update, and a stop that does not wait for it
// forever: a PKCS#11 token that holds a signature (a YubiKey waiting for a touch) or a DNS lookup
// curl has to wait for would keep the process alive past SIGTERM.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <thread>

namespace rolesanywhere::cli {

// How long a stop waits for a CreateSession in progress before the process leaves without it.
inline constexpr auto kRefresherStopWait = std::chrono::seconds(2);

class RefresherThread {
 public:
  // Starts `body` on a new thread; its stop_token is requested by stop() and by destruction.
  explicit RefresherThread(std::function<void(std::stop_token)> body);
  // Requests a stop and joins: only reached when stop() saw the thread end, or the process
  // leaves with std::_Exit instead (leave_if_stuck).
  ~RefresherThread() = default;
  RefresherThread(const RefresherThread&) = delete;
  RefresherThread& operator=(const RefresherThread&) = delete;

  // Requests a stop; true when the thread ended within `wait`.
  bool stop(std::chrono::milliseconds wait);

 private:
  std::mutex mutex_;
  std::condition_variable finished_condition_;
  bool finished_ = false;
  std::jthread thread_;  // last: started once the members it signals exist
};

// Stops `thread`, waiting kRefresherStopWait for it. If it is still busy (inside a signature or
// a transfer that ignores cancellation), reports `message` on stderr and ends the process with
// exit status 0 at once: nothing it holds needs cleaning up that the kernel does not release,
// and a file being written is replaced atomically or not at all.
void stop_or_leave(RefresherThread& thread, std::string_view message);
// Reports `message` and ends the process with `exit_status` at once, for a refresh that is
// stuck where a stop cannot reach it (serve --config's bindings, after FleetService's
// stop_refreshes said so).
[[noreturn]] void leave_now(std::string_view message, int exit_status = 0);

// What SIGHUP does for serve and update when take_over_hangups() allowed it (`enabled`): say so
// on stderr and call `refresh_now` (the service's refresh_soon, which reads renewed certificate
// files first). Empty otherwise, so StopSignals leaves SIGHUP alone.
std::function<void()> refresh_on_hangup(std::function<void()> refresh_now, bool enabled);

}  // namespace rolesanywhere::cli
