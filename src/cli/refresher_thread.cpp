#include "refresher_thread.hpp"

#include "output.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace rolesanywhere::cli {

RefresherThread::RefresherThread(std::function<void(std::stop_token)> body)
    : thread_([this, body = std::move(body)](std::stop_token stop) {
        body(stop);
        std::lock_guard lock(mutex_);
        finished_ = true;
        finished_condition_.notify_all();
      }) {}

bool RefresherThread::stop(std::chrono::milliseconds wait) {
  thread_.request_stop();
  std::unique_lock lock(mutex_);
  return finished_condition_.wait_for(lock, wait, [this] { return finished_; });
}

void leave_now(std::string_view message, int exit_status) {
  report_error(message);
  std::fflush(nullptr);
  // Not exit(): static destructors would run while the stuck thread still uses the objects they
  // destroy (the PKCS#11 module, libcurl's global state).
  std::_Exit(exit_status);
}

void stop_or_leave(RefresherThread& thread, std::string_view message) {
  if (!thread.stop(kRefresherStopWait)) leave_now(message);
}

std::function<void()> refresh_on_hangup(std::function<void()> refresh_now, bool enabled) {
  if (!enabled) return {};
  return [refresh_now = std::move(refresh_now)] {
    report_error(
        "SIGHUP: refreshing the credentials now (certificate and key files are read again if "
        "they changed)");
    refresh_now();
  };
}

}  // namespace rolesanywhere::cli
