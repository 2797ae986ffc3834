// update: writes temporary credentials into a profile of the shared credentials file and, without
// --once, keeps them fresh (5 minutes before expiry) until SIGTERM or SIGINT. The library's
// UpdateService does the work; this file reads the flags and writes the status lines.
//
// Messages go to stderr: one line per refresh and per failure, never a secret. --once is silent
// on success, as aws_signing_helper is.
#include "commands.hpp"
#include "output.hpp"
#include "provider_flags.hpp"
#include "refresh_test_hook.hpp"
#include "refresher_thread.hpp"
#include "service_lines.hpp"
#include "stop_signals.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/update.hpp"
#include "rolesanywhere/version.hpp"

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

update::UpdateEvents update_lines(const update::UpdateServiceOptions& options) {
  update::UpdateEvents events;
  const std::string profile = options.profile;
  const std::string file = options.file.string();
  events.written = [profile, file](const Credentials& credentials, TimePoint next_refresh) {
    status_line("updated profile '" + profile + "' in " + file + "; the credentials expire at " +
                local_time(credentials.expiration) + " and will be refreshed at " +
                local_time(next_refresh));
  };
  events.first_attempt_failed = [retry_every =
                                     options.policy.max_retry](const RefreshFailure& failure) {
    status_line(update_first_failure_line(failure, retry_every));
  };
  events.failed = [](const FailureReport& report) { status_line(update_failure_line(report)); };
  events.waiting_for_lock = [file] {
    status_line("waiting for another process that holds the lock on " + file + " (up to 30 s)");
  };
  return events;
}

void add_update_flags(cxxopts::Options& options) {
  add_provider_flags(options);
  options.add_options("Update")  //
      ("profile", "Profile to update", cxxopts::value<std::string>()->default_value("default"),
       "NAME")                                      //
      ("once", "Update the profile once and exit")  //
      ("retry-errors",
       "Also retry when the first attempt fails (later failures are always retried while "
       "running)");
}

update::UpdateServiceOptions read_update_flags(
    const cxxopts::ParseResult& result, std::optional<std::chrono::seconds> refresh_before_expiry) {
  update::UpdateServiceOptions options;
  options.retry_errors = result.count("retry-errors") > 0;
  if (result.count("once") && options.retry_errors)
    throw Error(Error::Kind::kInvalidArgument, "--once and --retry-errors cannot be used together");
  options.profile = result["profile"].as<std::string>();
  options.labels = {"--profile", "--once"};
  update::check_profile_name(options.profile, options.labels);
  options.file = update::credentials_file_path_from_environment();
  options.policy = refresh_policy(refresh_before_expiry);
  options.debug = stderr_debug_sink(result.count("debug") > 0);
  return options;
}

// Runs the service until SIGTERM/SIGINT, or until a refusal before anything was written ends it
// (thrown, for exit 1, as aws_signing_helper does unless --retry-errors); then says what the
// profile keeps.
void keep_fresh(update::UpdateService& service, std::stop_source& stopping, bool reload_on_hangup,
                const Clock& clock) {
  // After the identity is loaded, so Ctrl-C at a PIN prompt still ends the process at once. SIGHUP
  // asks for new credentials now, reading renewed certificate files first.
  const StopSignals signals(
      stopping, refresh_on_hangup([&service] { service.refresh_soon(); }, reload_on_hangup));
  // The refreshes run on their own thread and this one waits for the stop, so SIGTERM is never
  // held up by a signature that does not end (a token waiting for a touch) or a transfer that
  // cannot be cancelled.
  RefresherThread refresher_thread([&](std::stop_token) {
    service.run(stopping.get_token());
    stopping.request_stop();  // however it ended, the main thread is waiting for this
  });
  signals.wait();
  stop_or_leave(refresher_thread,
                std::string("stopped by ") + signals.received_name() +
                    " while a refresh was still in progress (a token signing, or the service "
                    "not answering); leaving without it, the profile keeps what was last "
                    "written to it");
  // The refreshing thread has ended: a refusal before anything was written, or a fault, ends
  // update with exit 1.
  service.rethrow_failure();
  using Outcome = FirstFetch::Outcome;
  const std::optional<TimePoint> written = service.written_expiration();
  const std::string kept_until =
      !written ? ""
               : (*written > clock.now() ? ", valid until " : ", which expired at ") +
                     local_time(*written);
  status_line(std::string("stopped by ") + signals.received_name() +
              (service.first_fetch().outcome() == Outcome::kCancelled
                   ? " before the first refresh finished; the profile was not changed"
                   : "; the profile keeps the credentials last written" + kept_until));
}

}  // namespace

int update_command(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  const std::optional<std::chrono::seconds> refresh_before_expiry =
      take_refresh_before_expiry(args);

  cxxopts::Options options("rolesanywhere-helper update",
                           "Update a profile in the AWS shared credentials file with new "
                           "temporary credentials, and keep refreshing them until stopped");
  add_update_flags(options);
  auto result = parse_or_help(options, static_cast<int>(args.size()), args.data());
  if (!result) return 0;

  const bool once = result->count("once") > 0;
  const update::UpdateServiceOptions update_options =
      read_update_flags(*result, refresh_before_expiry);
  // SIGHUP, for a service, asks for a refresh; ignored until the refresher can take it.
  const bool reload_on_hangup = !once && take_over_hangups();
  // Before the identity is loaded (a PIN prompt): a second updater of this profile stops here.
  std::optional<update::ProfileClaim> claim;
  if (!once) claim.emplace(update_options.file, update_options.profile, update_options.labels);

  // Requested by SIGTERM/SIGINT once they are watched, and when the refreshing thread ends: it
  // ends the refresh loop, and a CreateSession in progress at once instead of waiting out a
  // service that never answers.
  std::stop_source stopping;
  SystemClock clock;
  const ProviderOptions provider_options = read_provider_flags(*result, stopping.get_token());
  RolesAnywhereProvider provider(provider_options, clock);
  provider.set_observer(
      [](const ProviderEvent& event) { status_line(describe_provider_event(event)); });
  update::UpdateService service(update_options, provider, clock, update_lines(update_options));
  if (once) {
    // Nothing is written unless CreateSession succeeded; an error reaches main() and exit 1.
    service.update_once();
    return 0;
  }
  for (const std::string& warning : weakened_settings(provider_options)) status_line(warning);
  keep_fresh(service, stopping, reload_on_hangup, clock);
  return 0;
}

}  // namespace rolesanywhere::cli
