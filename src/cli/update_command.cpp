// update: writes temporary credentials into a profile of the shared credentials file and, without
// --once, keeps them fresh (5 minutes before expiry) until SIGTERM or SIGINT.
//
// Messages go to stderr: one line per refresh and per failure, never a secret. --once is silent
// on success, as aws_signing_helper is.
#include "commands.hpp"
#include "credential_source.hpp"
#include "output.hpp"
#include "refresh_test_hook.hpp"
#include "refresher_thread.hpp"
#include "stop_signals.hpp"

#include "../update/credentials_file.hpp"
#include "../update/credentials_ini.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/failure_log.hpp"
#include "rolesanywhere/refresher.hpp"
#include "rolesanywhere/version.hpp"

#include <atomic>
#include <ctime>
#include <exception>
#include <iostream>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace rolesanywhere::cli {
namespace {

void status_line(const std::string& message) {
  std::cerr << kToolName << ": " << message << std::endl;
}

// Local time is what the person reading the status line thinks in; the file holds UTC.
std::string local_time(TimePoint t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm parts{};
  ::localtime_r(&seconds, &parts);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &parts);
  return text;
}

}  // namespace

int update_command(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  const std::optional<std::chrono::seconds> refresh_before_expiry =
      take_refresh_before_expiry(args);

  cxxopts::Options options("rolesanywhere-helper update",
                           "Update a profile in the AWS shared credentials file with new "
                           "temporary credentials, and keep refreshing them until stopped");
  add_credential_source_flags(options);
  options.add_options("Update")                                                                  //
      ("profile", "Profile to update", cxxopts::value<std::string>()->default_value("default"))  //
      ("once", "Update the profile once and exit")                                               //
      ("retry-errors",
       "Also retry when the first attempt fails (later failures are always retried while "
       "running)");
  auto result = parse_or_help(options, static_cast<int>(args.size()), args.data());
  if (!result) return 0;

  const bool once = result->count("once") > 0;
  const bool retry_errors = result->count("retry-errors") > 0;
  if (once && retry_errors)
    throw Error(Error::Kind::kInvalidArgument, "--once and --retry-errors cannot be used together");
  const std::string profile = (*result)["profile"].as<std::string>();
  update::check_profile_name(profile);
  const std::filesystem::path file = update::credentials_file_path_from_environment();
  // SIGHUP, for a service, asks for a refresh; ignored until the refresher can take it.
  const bool reload_on_hangup = !once && take_over_hangups();
  // Before the identity is loaded (a PIN prompt): a second updater of this profile stops here.
  std::optional<update::ProfileClaim> claim;
  if (!once) claim.emplace(file, profile);

  // Requested by SIGTERM/SIGINT once they are watched, and by a refusal before anything was
  // written: it ends the refresh loop, and a CreateSession in progress at once instead of
  // waiting out a service that never answers.
  std::stop_source stopping;
  SystemClock clock;
  CredentialSource source = make_credential_source(*result, clock, stopping.get_token());
  source.set_renewal_notice(status_line);
  if (!once)
    for (const std::string& warning : weakened_settings(*result)) status_line(warning);

  const RefreshPolicy policy = refresh_policy(refresh_before_expiry);
  // Credentials CreateSession gave that the file could not take (a full disk, a directory in
  // its place): the next attempts write these again rather than asking the service for new ones,
  // until they come due for a refresh themselves. Only touched on the refreshing thread.
  std::optional<Credentials> unwritten;
  std::atomic<bool> hangup{false};  // SIGHUP asked for new credentials, not the kept ones
  CredentialRefresher refresher(
      [&] {
        if (hangup.exchange(false)) unwritten.reset();
        if (unwritten &&
            unwritten->expiration - clock.now() > policy.refresh_before_expiry + policy.max_jitter)
          return *unwritten;
        unwritten.reset();
        return source.fetch(clock);
      },
      clock, policy, stderr_debug_sink(result->count("debug") > 0));
  // After the identity is loaded, so Ctrl-C at a PIN prompt still ends the process at once. SIGHUP
  // asks for a refresh now, which reads renewed certificate files first.
  std::optional<StopSignals> signals;
  if (!once)
    signals.emplace(stopping,
                    refresh_on_hangup(refresher, reload_on_hangup, [&hangup] { hangup = true; }));
  // The expiry of the credentials last written to the file. Both callbacks run on the thread
  // that refreshes, so no lock is needed.
  std::optional<TimePoint> written_expiration;
  // A failure that repeats is said again once an hour, not at every retry.
  FailureLog failure_log;
  refresher.set_on_refresh([&](const Credentials& credentials) {
    // Throws on failure; the refresher then counts the refresh as failed and retries it.
    try {
      update::UpdateOptions options;
      options.on_lock_wait = [&file] {
        status_line("waiting for another process that holds the lock on " + file.string() +
                    " (up to 30 s)");
      };
      update::update_credentials_file(file, profile, credentials, options);
    } catch (...) {
      if (!once) unwritten = credentials;
      throw;
    }
    unwritten.reset();
    written_expiration = credentials.expiration;
    failure_log.succeeded();
    if (!once)
      status_line("updated profile '" + profile + "' in " + file.string() +
                  "; the credentials expire at " + local_time(credentials.expiration) +
                  " and will be refreshed at " +
                  local_time(next_refresh_time(clock.now(), credentials.expiration, policy, 0.0)) +
                  " at the latest");
  });

  if (once) {
    // Nothing is written unless CreateSession succeeded; an error reaches main() and exit 1.
    refresher.refresh_now();
    return 0;
  }

  // What ends update with exit 1 once the refresh thread has ended: a refusal before anything was
  // written (without --retry-errors; after an outage at start too, as for the first attempt), or
  // an error the loop does not handle.
  std::exception_ptr failure;
  refresher.set_on_failure([&](const Error& error, bool permanent, TimePoint next_attempt) {
    if (permanent && !retry_errors && !written_expiration) {
      // Called inside the refresher's catch block: the exception in flight is this error.
      failure = std::current_exception();
      stopping.request_stop();
      return;
    }
    const bool written_valid = written_expiration && *written_expiration > clock.now();
    const FailureLog::Entry entry = failure_log.failed(error.what(), written_valid, clock.now());
    if (!entry.report) return;
    std::string message = "refresh failed: ";
    if (permanent)
      message = dynamic_cast<const ServiceError*>(&error)
                    ? "refresh refused by the service, and retrying will not help until the "
                      "certificate (a renewed file is picked up by itself), trust anchor, "
                      "profile or role is fixed: "
                    : "refresh failed, and retrying will not help until this is fixed: ";
    message += error.what();
    // Not refresher.current(): those may be credentials that failed to reach the file.
    if (written_valid)
      message +=
          "; the credentials last written stay valid until " + local_time(*written_expiration);
    else
      message += "; the profile has no valid credentials now";
    message += "; next attempt at " + local_time(next_attempt);
    if (entry.not_shown > 0)
      message += " (" + std::to_string(entry.not_shown) + " earlier failure(s) since " +
                 local_time(entry.since) + " not shown)";
    status_line(message);
  });

  // The first refresh: false when a stop cancelled it. A configuration the service refuses at
  // start ends the process (it throws), as aws_signing_helper does, unless --retry-errors asks to
  // keep trying. A transient outage (unreachable, 5xx, throttling) never ends it: it is retried
  // like any later failure.
  const auto first_refresh = [&] {
    try {
      refresher.refresh_now();
    } catch (const Error& error) {
      if (error.kind() == Error::Kind::kCancelled) return false;
      const bool permanent = is_permanent_failure(error);
      if (permanent && !retry_errors) throw;
      const auto retry_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(policy.max_retry).count();
      status_line(std::string("refresh failed: ") + error.what() +
                  (permanent
                       ? "; retrying every " + std::to_string(retry_seconds) + " s (--retry-errors)"
                       : "; retrying, the outage may pass"));
    }
    return true;
  };
  // The refreshes run on their own thread and this one waits for the stop, so SIGTERM is never
  // held up by a signature that does not end (a token waiting for a touch) or a transfer that
  // cannot be cancelled. Read only once the thread has ended.
  bool stopped_before_first = false;
  RefresherThread refresher_thread([&](std::stop_token) {
    try {
      stopped_before_first = !first_refresh();
      if (!stopped_before_first) refresher.run(stopping.get_token());
    } catch (...) {
      failure = std::current_exception();
    }
    stopping.request_stop();  // however it ended, the main thread is waiting for this
  });
  signals->wait();
  stop_or_leave(refresher_thread,
                std::string("stopped by ") + signals->received_name() +
                    " while a refresh was still in progress (a token signing, or the service "
                    "not answering); leaving without it, the profile keeps what was last "
                    "written to it");
  if (failure) std::rethrow_exception(failure);
  // The refresh thread has ended: written_expiration is this thread's to read now.
  const auto kept_until = [&]() -> std::string {
    if (!written_expiration) return "";
    return (*written_expiration > clock.now() ? ", valid until " : ", which expired at ") +
           local_time(*written_expiration);
  };
  status_line(std::string("stopped by ") + signals->received_name() +
              (stopped_before_first
                   ? " before the first refresh finished; the profile was not changed"
                   : "; the profile keeps the credentials last written" + kept_until()));
  return 0;
}

}  // namespace rolesanywhere::cli
