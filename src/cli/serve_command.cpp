// serve: flags in, lines out. The library's ServeService answers requests, keeps the credentials
// fresh and decides what start-up failures mean; this file reads the flags, prints where to point
// SDKs and what goes wrong, and waits for SIGTERM/SIGINT to drain and stop.
#include "command_line.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "provider_flags.hpp"
#include "refresh_test_hook.hpp"
#include "refresher_thread.hpp"
#include "serve_config_command.hpp"
#include "serve_flags.hpp"
#include "service_lines.hpp"
#include "stop_signals.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/serve.hpp"

#include <csignal>
#include <filesystem>
#include <stop_token>
#include <vector>

namespace rolesanywhere::cli {

namespace {

constexpr auto kDrainTime = std::chrono::seconds(5);

void announce(const serve::ListeningEndpoint& endpoint) {
  report_line("Local server started on port: " + std::to_string(endpoint.port));
  report_line("Make it available to the sdk by running:");
  report_line("export AWS_EC2_METADATA_SERVICE_ENDPOINT=" + endpoint.metadata_url);
  if (endpoint.container_url) {
    report_line("export AWS_CONTAINER_CREDENTIALS_FULL_URI=" + *endpoint.container_url);
    report_line("export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + *endpoint.container_token_file);
  }
  if (!endpoint.loopback)
    report_error("warning: listening on " + endpoint.host + " port " +
                 std::to_string(endpoint.port) +
                 (endpoint.host == "0.0.0.0" || endpoint.host == "::" ? " (every interface)" : "") +
                 ", not loopback only: anyone who can reach it can take the credentials");
}

serve::ServeEvents serve_lines() {
  serve::ServeEvents events;
  events.listening = announce;
  events.first_still_pending = [] {
    report_error(
        "warning: the service has not answered the first CreateSession yet; serving 503 "
        "on the credentials path until it does");
  };
  events.first_retrying = [](const std::string& failure) {
    report_error("warning: no credentials yet (" + failure +
                 "); serving 503 on the credentials path and retrying in the background");
  };
  events.failed = [](const FailureReport& report) { report_error(serve_failure_line(report)); };
  events.recovered = [](const Credentials& credentials) {
    report_error("credentials refreshed after the failures above; valid until " +
                 format_iso8601(credentials.expiration));
  };
  events.warn = [](const std::string& line) { report_error(line); };
  return events;
}

// Requests a stop when destroyed: declared after the refresher's thread, it is destroyed first,
// so however serve_command ends, an exception included, a CreateSession in progress is
// cancelled before that thread is joined.
struct CancelOnExit {
  std::stop_source& source;
  ~CancelOnExit() { source.request_stop(); }
};

}  // namespace

int serve_command(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  const std::optional<std::chrono::seconds> refresh_before_expiry =
      take_refresh_before_expiry(args);
  const std::optional<std::chrono::seconds> announce_after = take_announce_after(args);

  cxxopts::Options options("rolesanywhere-helper serve",
                           "Serve AWS credentials through a local endpoint that is compatible "
                           "with IMDSv2 (and, with --container-token-file, with the container "
                           "credentials provider)");
  add_provider_flags(options);
  add_serve_flags(options);
  auto result = parse_or_help(options, static_cast<int>(args.size()), args.data());
  if (!result) return 0;
  if (result->count("config"))
    return serve_config_command(args, *result, refresh_before_expiry, announce_after);

  // SIGHUP, for a service, asks for a refresh; ignored until the refresher can take it.
  const bool reload_on_hangup = take_over_hangups();

  // Everything that can be checked without the network first: flags, socket, token file.
  serve::ServeOptions serve_options = read_serve_flags(*result);
  serve_options.policy = refresh_policy(refresh_before_expiry);
  if (announce_after) serve_options.announce_after = *announce_after;
  serve::ServeListener listener(std::move(serve_options));

  // Requested by SIGTERM/SIGINT once they are watched and on every way out: it ends the refresh
  // loop, and a CreateSession in progress at once instead of waiting out a service that never
  // answers.
  std::stop_source stopping;
  SystemClock clock;
  const ProviderOptions provider_options = read_provider_flags(*result, stopping.get_token());
  RolesAnywhereProvider provider(provider_options, clock);
  // A certificate renewed on disk is worth a line in the journal, and so is one that cannot be
  // used: the old one keeps signing until it expires.
  provider.set_observer(
      [](const ProviderEvent& event) { report_error(describe_provider_event(event)); });
  for (const std::string& warning : weakened_settings(provider_options)) report_error(warning);

  serve::ServeService service(std::move(listener), provider, clock, serve_lines());
  // After the identity is loaded, so Ctrl-C at a PIN prompt still ends the process at once. SIGHUP
  // asks for a refresh now, which reads renewed certificate files first.
  const StopSignals stop_signals(
      stopping, refresh_on_hangup([&service] { service.refresh_soon(); }, reload_on_hangup));
  std::signal(SIGPIPE, SIG_IGN);
  RefresherThread refresher_thread([&](std::stop_token stop) {
    const std::stop_callback forward_stop(stop, [&] { stopping.request_stop(); });
    service.run_refreshes(stopping.get_token());
    stopping.request_stop();  // however it ended, the main thread is waiting for this
  });
  const CancelOnExit cancel_on_exit{stopping};
  service.start(stop_signals.token());  // throws a refusal before any credentials

  stop_signals.wait();
  if (stop_signals.received_signal() == 0) {
    // The refreshes ended by themselves: a fault, which ends serve with exit 1.
    service.shutdown(std::chrono::milliseconds(0));
    stop_or_leave(refresher_thread, "stopping after a fault in the refresh loop");
    service.rethrow_failure();
  }
  report_error(std::string("stopping on ") + stop_signals.received_name() +
               ": no new connections, answering the requests in flight");
  service.shutdown(kDrainTime);
  // The endpoint is closed: a CreateSession still in progress is not waited for.
  stop_or_leave(refresher_thread,
                std::string("stopped by ") + stop_signals.received_name() +
                    " while a CreateSession was still in progress (a token signing, or the "
                    "service not answering); leaving without it");
  return 0;
}

}  // namespace rolesanywhere::cli
