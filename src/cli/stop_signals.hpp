// Stopping serve and update on SIGTERM/SIGINT without doing anything in a signal handler but
// write(2): a process-wide handler writes the signal's number to a pipe, and one waiting thread
// turns it into a stop request that the loops (refresher, main thread) can wait on. Being a
// handler rather than a blocked mask, it catches the signal whichever thread the kernel picks,
// threads that a PKCS#11 module started before this object existed included.
//
// SIGHUP, which operators send to mean "reload", is handled too when asked for: it calls a
// function (serve and update refresh at once, reading renewed certificate files) instead of
// ending the process as its default action would.
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <stop_token>
#include <thread>

namespace rolesanywhere::cli {

// Whether SIGHUP should mean "refresh now" for this process: only without a controlling terminal
// (a service under systemd or a supervisor). In a terminal it keeps its meaning, the session is
// over, and one the parent ignores (nohup) stays ignored. When it returns true, SIGHUP is ignored
// from then on until a StopSignals with `on_hangup` handles it, so a reload sent during start-up
// (a PIN prompt, a lock wait) does not kill the process.
bool take_over_hangups();

class StopSignals {
 public:
  // Installs the handler for SIGTERM and SIGINT, which request `stop` (a stop_source shares its
  // state when copied, so the caller's own source is requested). One instance at a time.
  // With `on_hangup`, SIGHUP calls it (on the waiting thread) instead of stopping the process.
  explicit StopSignals(std::stop_source stop = {}, std::function<void()> on_hangup = {});
  // Restores the previous handlers and ends the waiting thread.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Requested when a signal arrives (or whoever else shares the stop_source requests it).
  std::stop_token token() const { return stop_.get_token(); }
  // Blocks until the stop is requested.
  void wait() const;
  // "SIGTERM" or "SIGINT" once one arrived; "no signal" before.
  const char* received_name() const;
  // The signal's number once one arrived; 0 when the stop came from elsewhere.
  int received_signal() const { return received_.load(); }

 private:
  void start_waiter();

  int pipe_read_ = -1;
  struct sigaction previous_term_ {};
  struct sigaction previous_int_ {};
  struct sigaction previous_hup_ {};
  std::function<void()> on_hangup_;
  std::stop_source stop_;
  std::atomic<int> received_{0};
  std::jthread waiter_;
};

}  // namespace rolesanywhere::cli
