// Stopping serve and update on SIGTERM/SIGINT without doing anything in a signal handler: the
// signals are blocked in every thread and taken by one waiting thread, which turns them into a
// stop request that the loops (refresher, main thread) can wait on.
#pragma once

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <stop_token>
#include <thread>

namespace rolesanywhere::cli {

class StopSignals {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread. Construct it before any other thread starts
  // (curl's resolver, libmicrohttpd's, the refresher), so every thread inherits the mask.
  StopSignals();
  // Stops the waiting thread and restores the previous signal mask.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Requested when a signal arrives.
  std::stop_token token() const { return stop_.get_token(); }
  // Blocks until a signal arrives.
  void wait() const;
  // "SIGTERM" or "SIGINT" once one arrived; "no signal" before.
  const char* received_name() const;

 private:
  sigset_t signals_{};
  sigset_t previous_{};
  std::stop_source stop_;
  std::atomic<int> received_{0};
  std::jthread waiter_;
};

}  // namespace rolesanywhere::cli
