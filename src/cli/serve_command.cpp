// serve: flags in, lines out. The library's ServeService answers requests, keeps the credentials
// fresh and decides what start-up failures mean; this file reads the flags, prints where to point
// SDKs and what goes wrong, and waits for SIGTERM/SIGINT to drain and stop.
#include "command_line.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "provider_flags.hpp"
#include "refresh_test_hook.hpp"
#include "refresher_thread.hpp"
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

void add_serve_flags(cxxopts::Options& options) {
  options.add_options("Serve")  //
      ("port", "The port used to run the local server (0: any free port)",
       cxxopts::value<std::string>()->default_value(std::to_string(serve::kDefaultPort)),
       "PORT")  //
      ("bind", "Address to listen on: 127.0.0.1, ::1, or another with --allow-non-loopback",
       cxxopts::value<std::string>()->default_value("127.0.0.1"), "ADDRESS")  //
      ("allow-non-loopback",
       "Allow --bind (or a systemd socket) on an address other than loopback: anyone who can "
       "reach it can get the credentials")  //
      ("hop-limit", "IP TTL / IPv6 hop limit of the answers (1-255; default 64, or 1 off loopback)",
       cxxopts::value<std::string>(), "N")  //
      ("container-token-file",
       "Also serve the container credentials path, requiring the token in this file as the "
       "Authorization header (the file is created, mode 0600, with a random token if missing)",
       cxxopts::value<std::string>(), "FILE")  //
      ("container-path", "Path of the container credentials endpoint",
       cxxopts::value<std::string>()->default_value("/v1/credentials"), "URL_PATH");
}

// The flag names the listener's messages point to, as add_serve_flags spells them.
serve::ServeLabels serve_labels() {
  serve::ServeLabels labels;
  labels.bind = "--bind";
  labels.port = "--port";
  labels.allow_non_loopback = "--allow-non-loopback";
  labels.container_token_file = "--container-token-file";
  return labels;
}

serve::ServeOptions read_serve_flags(const cxxopts::ParseResult& result) {
  serve::ServeOptions options;
  options.labels = serve_labels();
  options.port = static_cast<std::uint16_t>(parse_int_flag("port", result["port"].as<std::string>(),
                                                           0, 65535, "0 (any free port) to 65535"));
  options.activated_fd = serve::systemd_activated_socket();
  if (options.activated_fd && (result.count("port") || result.count("bind")))
    throw Error(Error::Kind::kInvalidArgument,
                "--port and --bind do not apply when systemd passes the socket (LISTEN_FDS); "
                "set the address in the .socket unit's ListenStream=");
  options.bind_address = result["bind"].as<std::string>();
  options.allow_non_loopback = result.count("allow-non-loopback") > 0;
  if (result.count("hop-limit"))
    options.hop_limit =
        parse_int_flag("hop-limit", result["hop-limit"].as<std::string>(), 1, 255, "1 to 255");
  if (result.count("container-token-file"))
    // Absolute, for the export line: an SDK reading it may run in another directory.
    options.container_token_file =
        std::filesystem::absolute(result["container-token-file"].as<std::string>()).string();
  else if (result.count("container-path"))
    throw Error(Error::Kind::kInvalidArgument,
                "--container-path needs --container-token-file: the container credentials path "
                "is served only with an authorization token");
  options.container_path = result["container-path"].as<std::string>();
  if (!options.container_path.starts_with("/") || options.container_path.starts_with("/latest/"))
    throw Error(Error::Kind::kInvalidArgument,
                "--container-path " + options.container_path +
                    ": must start with '/' and not be under /latest/ (the IMDS paths)");
  options.debug = stderr_debug_sink(result.count("debug") > 0);
  return options;
}

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

  cxxopts::Options options("rolesanywhere-helper serve",
                           "Serve AWS credentials through a local endpoint that is compatible "
                           "with IMDSv2 (and, with --container-token-file, with the container "
                           "credentials provider)");
  add_provider_flags(options);
  add_serve_flags(options);
  auto result = parse_or_help(options, static_cast<int>(args.size()), args.data());
  if (!result) return 0;

  // SIGHUP, for a service, asks for a refresh; ignored until the refresher can take it.
  const bool reload_on_hangup = take_over_hangups();

  // Everything that can be checked without the network first: flags, socket, token file.
  serve::ServeOptions serve_options = read_serve_flags(*result);
  serve_options.policy = refresh_policy(refresh_before_expiry);
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
