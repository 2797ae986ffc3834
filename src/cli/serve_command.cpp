// serve: a local IMDSv2 (and, optionally, container credentials) endpoint that keeps
// credentials fresh in the background. The library (src/serve) answers requests; this file
// reads the flags, decides what start-up failures mean, prints where to point SDKs, and waits
// for SIGTERM/SIGINT to drain and stop.
#include "command_line.hpp"
#include "commands.hpp"
#include "credential_source.hpp"
#include "output.hpp"
#include "refresh_test_hook.hpp"
#include "refresher_thread.hpp"
#include "stop_signals.hpp"

#include "../serve/container_token.hpp"
#include "../serve/endpoint_handler.hpp"
#include "../serve/endpoint_server.hpp"
#include "../serve/listen_socket.hpp"
#include "../serve/startup_policy.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/failure_log.hpp"
#include "rolesanywhere/refresher.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stop_token>
#include <vector>

namespace rolesanywhere::cli {

namespace {

constexpr int kDefaultPort = 9911;
constexpr int kDefaultHopLimit = 64;
// Off loopback, answers should not travel past the first router unless asked.
constexpr int kNonLoopbackHopLimit = 1;
constexpr auto kDrainTime = std::chrono::seconds(5);
// A first CreateSession usually ends within this: its outcome then decides whether serve starts
// at all. Past it, the endpoint is announced anyway and answers 503 until credentials arrive.
constexpr auto kAnnounceAfter = std::chrono::seconds(2);

void add_serve_flags(cxxopts::Options& options) {
  options.add_options("Serve")  //
      ("port", "The port used to run the local server (0: any free port)",
       cxxopts::value<std::string>()->default_value(std::to_string(kDefaultPort)))  //
      ("bind", "Address to listen on: 127.0.0.1, ::1, or another with --allow-non-loopback",
       cxxopts::value<std::string>()->default_value("127.0.0.1"))  //
      ("allow-non-loopback",
       "Allow --bind (or a systemd socket) on an address other than loopback: anyone who can "
       "reach it can get the credentials")  //
      ("hop-limit", "IP TTL / IPv6 hop limit of the answers (1-255; default 64, or 1 off loopback)",
       cxxopts::value<std::string>())  //
      ("container-token-file",
       "Also serve the container credentials path, requiring the token in this file as the "
       "Authorization header (the file is created, mode 0600, with a random token if missing)",
       cxxopts::value<std::string>())  //
      ("container-path", "Path of the container credentials endpoint",
       cxxopts::value<std::string>()->default_value("/v1/credentials"));
}

struct ServeFlags {
  std::optional<serve::SocketAddress> bind;  // unset with systemd socket activation
  std::optional<int> activated_fd;
  bool allow_non_loopback = false;
  std::optional<int> hop_limit;
  std::optional<std::string> container_token_file;
  std::string container_path;
};

ServeFlags read_serve_flags(const cxxopts::ParseResult& result) {
  ServeFlags flags;
  const int port = parse_int_flag("port", result["port"].as<std::string>(), 0, 65535,
                                  "0 (any free port) to 65535");
  flags.activated_fd =
      serve::systemd_listen_fd(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), ::getpid());
  if (flags.activated_fd && (result.count("port") || result.count("bind")))
    throw Error(Error::Kind::kInvalidArgument,
                "--port and --bind do not apply when systemd passes the socket (LISTEN_FDS); "
                "set the address in the .socket unit's ListenStream=");
  if (!flags.activated_fd)
    flags.bind = serve::parse_bind_address(result["bind"].as<std::string>(),
                                           static_cast<std::uint16_t>(port));
  flags.allow_non_loopback = result.count("allow-non-loopback") > 0;
  if (result.count("hop-limit"))
    flags.hop_limit =
        parse_int_flag("hop-limit", result["hop-limit"].as<std::string>(), 1, 255, "1 to 255");
  if (result.count("container-token-file"))
    // Absolute, for the export line: an SDK reading it may run in another directory.
    flags.container_token_file =
        std::filesystem::absolute(result["container-token-file"].as<std::string>()).string();
  else if (result.count("container-path"))
    throw Error(Error::Kind::kInvalidArgument,
                "--container-path needs --container-token-file: the container credentials path "
                "is served only with an authorization token");
  flags.container_path = result["container-path"].as<std::string>();
  if (!flags.container_path.starts_with("/") || flags.container_path.starts_with("/latest/"))
    throw Error(Error::Kind::kInvalidArgument,
                "--container-path " + flags.container_path +
                    ": must start with '/' and not be under /latest/ (the IMDS paths)");
  return flags;
}

// The socket to serve on: systemd's, or one opened on --bind/--port. Refuses addresses that are
// not loopback unless --allow-non-loopback was given, whichever way the socket came.
serve::UniqueFd open_socket(const ServeFlags& flags) {
  serve::UniqueFd socket;
  if (flags.activated_fd) {
    serve::adopt_listen_socket(*flags.activated_fd);
    socket = serve::UniqueFd(*flags.activated_fd);
    // Children (none today) must not mistake the socket for theirs, as sd_listen_fds(3) does.
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
  }
  const serve::SocketAddress address =
      flags.activated_fd ? serve::local_address(socket.get()) : *flags.bind;
  if (!serve::is_loopback(address) && !flags.allow_non_loopback)
    throw Error(Error::Kind::kInvalidArgument,
                std::string(flags.activated_fd ? "the socket systemd passed" : "--bind") + " " +
                    address.host() +
                    " is not a loopback address: anyone who can reach it could take the "
                    "credentials. Add --allow-non-loopback if that is intended");
  if (!flags.activated_fd) socket = serve::open_listen_socket(address);
  return socket;
}

void print_line(const std::string& line) { std::cerr << line << std::endl; }

void announce(const serve::SocketAddress& address, const serve::EndpointConfig& config,
              const std::optional<std::string>& container_token_file) {
  const std::string url = address.local_url();
  print_line("Local server started on port: " + std::to_string(address.port()));
  print_line("Make it available to the sdk by running:");
  print_line("export AWS_EC2_METADATA_SERVICE_ENDPOINT=" + url);
  if (config.container_authorization) {
    print_line("export AWS_CONTAINER_CREDENTIALS_FULL_URI=" + url.substr(0, url.size() - 1) +
               config.container_path);
    print_line("export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + *container_token_file);
  }
  if (!serve::is_loopback(address))
    report_error(
        "warning: listening on " + address.host() + " port " + std::to_string(address.port()) +
        (address.host() == "0.0.0.0" || address.host() == "::" ? " (every interface)" : "") +
        ", not loopback only: anyone who can reach it can take the credentials");
}

// Announces the endpoint once the first CreateSession has an outcome, or after kAnnounceAfter
// if it has none yet. Returns on the first success, on a rejection (before or after the
// announcement, on the first attempt or a retry: the caller stops), or on a stop signal.
void wait_for_first_credentials(const serve::FirstFetch& first_fetch, const std::stop_token& stop,
                                const std::function<void()>& announce) {
  using Outcome = serve::FirstFetch::Outcome;
  constexpr auto kForever = std::chrono::hours(24 * 365);
  Outcome outcome = first_fetch.wait_for_change(Outcome::kPending, kAnnounceAfter, stop);
  if (outcome == Outcome::kRejected || stop.stop_requested()) return;
  announce();
  if (outcome == Outcome::kPending) {
    report_error(
        "warning: the service has not answered the first CreateSession yet; serving 503 "
        "on the credentials path until it does");
    outcome = first_fetch.wait_for_change(Outcome::kPending, kForever, stop);
  }
  if (outcome == Outcome::kRetrying) {
    report_error("warning: no credentials yet (" + first_fetch.failure_message() +
                 "); serving 503 on the credentials path and retrying in the background");
    // The refresh loop retries; only a rejection (or a stop) ends this wait. A later success
    // is not published: serving then simply goes on until a stop signal.
    first_fetch.wait_for_change(Outcome::kRetrying, kForever, stop);
  }
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
  add_credential_source_flags(options);
  add_serve_flags(options);
  auto result = parse_or_help(options, static_cast<int>(args.size()), args.data());
  if (!result) return 0;

  // SIGHUP, for a service, asks for a refresh; ignored until the refresher can take it.
  const bool reload_on_hangup = take_over_hangups();

  // Everything that can be checked without the network first: flags, socket, token file.
  const ServeFlags flags = read_serve_flags(*result);
  serve::UniqueFd socket = open_socket(flags);
  const serve::SocketAddress address = serve::local_address(socket.get());
  const int hop_limit = flags.hop_limit.value_or(
      serve::is_loopback(address) ? kDefaultHopLimit : kNonLoopbackHopLimit);

  serve::EndpointConfig config;
  config.container_path = flags.container_path;
  config.any_host = !serve::is_loopback(address);
  if (flags.container_token_file)
    config.container_authorization =
        serve::read_or_create_container_token(*flags.container_token_file);

  // Requested by SIGTERM/SIGINT once they are watched, by a refusal before any credentials, and on
  // every way out: it ends the refresh loop, and a CreateSession in progress at once instead of
  // waiting out a service that never answers.
  std::stop_source stopping;
  SystemClock clock;
  CredentialSource source = make_credential_source(*result, clock, stopping.get_token());
  config.role_name = serve::role_name_from_arn(source.params().role_arn);
  // A certificate renewed on disk is worth a line in the journal, and so is one that cannot be
  // used: the old one keeps signing until it expires.
  source.set_renewal_notice(report_error);
  for (const std::string& warning : weakened_settings(*result)) report_error(warning);
  const DebugSink debug_sink = stderr_debug_sink(result->count("debug") > 0);

  CredentialRefresher refresher([&] { return source.fetch(clock); }, clock,
                                refresh_policy(refresh_before_expiry), debug_sink);
  // After the identity is loaded, so Ctrl-C at a PIN prompt still ends the process at once. SIGHUP
  // asks for a refresh now, which reads renewed certificate files first.
  const StopSignals stop_signals(stopping, refresh_on_hangup(refresher, reload_on_hangup));
  std::signal(SIGPIPE, SIG_IGN);
  // Failures are worth a line on stderr (the journal, under systemd), with what clients get
  // meanwhile; so is the recovery after them. A failure that repeats is said again once an hour.
  // Routine refreshes stay quiet unless --debug. Error messages never hold secrets. Both
  // callbacks run on the refresher's thread.
  std::atomic<bool> failing{false};
  FailureLog failure_log;
  serve::FirstFetch first_fetch;
  refresher.set_on_failure([&](const Error& error, bool permanent, TimePoint next_attempt) {
    if (permanent && !refresher.status().credentials) {
      // No credentials were ever obtained and the service now refuses: as at start, serve stops
      // with the reason. Called inside the refresher's catch block, so the exception in flight
      // is the error itself (a ServiceError stays one).
      first_fetch.reject(std::current_exception(), error.what());
      stopping.request_stop();
      return;
    }
    failing = true;
    const std::shared_ptr<const Credentials> served = refresher.current();
    const FailureLog::Entry entry =
        failure_log.failed(error.what(), served != nullptr, clock.now());
    if (!entry.report) return;
    std::string message = std::string("warning: refreshing credentials failed: ") + error.what();
    message +=
        served ? "; the credentials served stay valid until " + format_iso8601(served->expiration)
               : std::string(
                     "; no valid credentials to serve: the credentials path "
                     "answers 503 until a refresh succeeds");
    message += "; next attempt at " + format_iso8601(next_attempt) +
               (permanent ? " (retrying slowly)" : "");
    if (entry.not_shown > 0)
      message += " (" + std::to_string(entry.not_shown) + " earlier failure(s) since " +
                 format_iso8601(entry.since) + " not shown)";
    report_error(message);
  });
  refresher.set_on_refresh([&](const Credentials& credentials) {
    failure_log.succeeded();
    if (failing.exchange(false))
      report_error("credentials refreshed after the failures above; valid until " +
                   format_iso8601(credentials.expiration));
  });

  serve::TokenStore tokens;
  const serve::EndpointHandler handler(
      config,
      [&refresher] {
        RefreshStatus status = refresher.status();
        return serve::CredentialsSnapshot{std::move(status.credentials), status.last_success,
                                          std::move(status.last_error)};
      },
      tokens);
  serve::ServerOptions server_options;
  server_options.hop_limit = hop_limit;
  server_options.debug = debug_sink;
  server_options.warn = report_error;
  serve::EndpointServer server(
      std::move(socket),
      [&handler, &clock](const HttpRequest& request) {
        return handler.handle(request, clock.now());
      },
      server_options);
  // The first CreateSession runs on the refresher's thread, its outcome handed to this one; then,
  // unless it was rejected or cancelled, the refresh loop.
  RefresherThread refresher_thread([&](std::stop_token stop) {
    using Outcome = serve::FirstFetch::Outcome;
    const std::stop_callback forward_stop(stop, [&] { stopping.request_stop(); });
    const Outcome first = first_fetch.run([&refresher] { refresher.refresh_now(); });
    if (first == Outcome::kRetrying) failing = true;  // so the recovery is reported
    if (first == Outcome::kSucceeded || first == Outcome::kRetrying)
      refresher.run(stopping.get_token());
  });
  const CancelOnExit cancel_on_exit{stopping};
  wait_for_first_credentials(first_fetch, stop_signals.token(),
                             [&] { announce(address, config, flags.container_token_file); });
  if (first_fetch.outcome() == serve::FirstFetch::Outcome::kRejected) {
    server.shutdown(std::chrono::milliseconds(0));
    first_fetch.rethrow_rejection();
  }

  stop_signals.wait();
  report_error(std::string("stopping on ") + stop_signals.received_name() +
               ": no new connections, answering the requests in flight");
  server.shutdown(kDrainTime);
  // The endpoint is closed: a CreateSession still in progress is not waited for.
  stop_or_leave(refresher_thread,
                std::string("stopped by ") + stop_signals.received_name() +
                    " while a CreateSession was still in progress (a token signing, or the "
                    "service not answering); leaving without it");
  return 0;
}

}  // namespace rolesanywhere::cli
