// serve --config FILE: several roles in one serve. The file is read into command-line arguments
// (serve_config_file.hpp), each binding's parsed by the same flag definitions credential-process
// uses, and handed to the library's FleetService; this file prints where each binding is served
// and what goes wrong, and re-reads the file on SIGHUP.
#include "serve_config_command.hpp"

#include "command_flags.hpp"
#include "output.hpp"
#include "provider_flags.hpp"
#include "refresh_test_hook.hpp"
#include "refresher_thread.hpp"
#include "serve_config_file.hpp"
#include "serve_flags.hpp"
#include "service_lines.hpp"
#include "stop_signals.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/serve_fleet.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace rolesanywhere::cli {

namespace {

constexpr auto kDrainTime = std::chrono::seconds(5);

// The keys of the file's top level: serve's own flags that are not a binding's.
const std::set<std::string> kServeKeys = {"port",    "bind", "hop-limit", "allow-non-loopback",
                                          "metrics", "debug"};

ConfigFlagSet flag_set(const cxxopts::Options& options, const std::set<std::string>& only,
                       const std::set<std::string>& except) {
  ConfigFlagSet set;
  for (FlagSpec& flag : describe_flags(options))
    if ((only.empty() || only.contains(flag.name)) && !except.contains(flag.name))
      set.flags.push_back(std::move(flag));
  set.repeatable = {"instance-property"};
  return set;
}

cxxopts::Options provider_options() {
  cxxopts::Options options("rolesanywhere-helper serve", "");
  add_provider_flags(options);
  return options;
}

std::string read_config_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw Error(Error::Kind::kInput,
                "--config " + path + ": cannot be read: " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad())
    throw Error(Error::Kind::kInput,
                "--config " + path + ": cannot be read: " + std::strerror(errno));
  return std::move(text).str();
}

// serve's own flags and --debug: what the file's top level may set.
cxxopts::Options top_level_options() {
  cxxopts::Options options("rolesanywhere-helper serve", "");
  add_serve_flags(options);
  add_debug_flag(options);
  return options;
}

ServeConfigFile read_config(const std::string& path) {
  return parse_serve_config(path, read_config_text(path),
                            flag_set(top_level_options(), kServeKeys, {}),
                            flag_set(provider_options(), {}, {"help", "debug"}));
}

// cxxopts parses a vector of strings through argv.
std::vector<char*> as_argv(std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  return argv;
}

// Arguments may hold a key's password or a PIN: wiped once parsed.
void wipe_all(std::vector<std::string>& texts) {
  for (std::string& text : texts) {
    const WipeOnExit wipe(text);
  }
}

// wipe_all however the scope is left.
struct WipeAllOnExit {
  std::vector<std::string>& texts;
  ~WipeAllOnExit() { wipe_all(texts); }
};

// Everything that shapes the binding, digested: equal digests make an unchanged binding on
// SIGHUP. From the file's own arguments, not those the flag parsing blanked (secrets are hidden
// there, so a changed password of the same length would look unchanged).
std::string fingerprint(const ConfigBinding& binding, const serve::BindingConfig& config,
                        bool debug) {
  std::string settings;
  const WipeOnExit wipe(settings);
  for (const std::string& argument : binding.arguments) settings += argument + '\n';
  settings += config.container_path + '\n' + config.container_token_file + '\n' +
              (config.imds ? "imds\n" : "") + (debug ? "debug\n" : "");
  return sigv4x509::hex_sha256(settings);
}

// The binding's flags, parsed as the command line's would be; an error names the file's line.
serve::BindingConfig read_binding(const ServeConfigFile& file, const ConfigBinding& binding,
                                  bool debug) {
  std::vector<std::string> arguments{"serve"};
  arguments.insert(arguments.end(), binding.arguments.begin(), binding.arguments.end());
  if (debug) arguments.emplace_back("--debug");
  const WipeAllOnExit wipe_arguments{arguments};
  serve::BindingConfig config;
  try {
    cxxopts::Options options = provider_options();
    std::vector<char*> argv = as_argv(arguments);
    const auto result = parse_or_help(options, static_cast<int>(argv.size()), argv.data());
    config.provider = read_provider_flags(*result);
  } catch (const Error& error) {
    const ConfigPosition position = position_of_message(binding, error.what());
    throw Error(error.kind(), file.path + ":" + std::to_string(position.line) + ": binding '" +
                                  binding.name + "'" +
                                  (position.key.empty() ? "" : ", key '" + position.key + "'") +
                                  ": " + error.what());
  }
  config.name = binding.name;
  config.container_path = binding.container_path;
  // Absolute, for the announcement: an SDK reading it may run in another directory.
  config.container_token_file = std::filesystem::absolute(binding.container_token_file).string();
  config.imds = binding.imds;
  config.fingerprint = fingerprint(binding, config, debug);
  return config;
}

// Every binding of the file, and a warning line for each setting that exposes its credentials
// (--no-verify-ssl, a plain-HTTP endpoint off this machine), as the single serve says at start.
std::vector<serve::BindingConfig> read_bindings(ServeConfigFile file, bool debug) {
  struct WipeFile {
    ServeConfigFile& file;
    ~WipeFile() {
      for (ConfigBinding& binding : file.bindings) wipe_all(binding.arguments);
    }
  } const wipe_file{file};
  std::vector<serve::BindingConfig> bindings;
  for (const ConfigBinding& binding : file.bindings)
    bindings.push_back(read_binding(file, binding, debug));
  for (const serve::BindingConfig& binding : bindings)
    for (const std::string& warning : weakened_settings(binding.provider))
      report_error("binding '" + binding.name + "': " + warning);
  return bindings;
}

std::string binding_line(const serve::BindingEndpoint& binding) {
  std::string line = "binding " + binding.name +
                     ": AWS_CONTAINER_CREDENTIALS_FULL_URI=" + binding.container_url +
                     " AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + binding.container_token_file;
  if (binding.metadata_url) line += " AWS_EC2_METADATA_SERVICE_ENDPOINT=" + *binding.metadata_url;
  return line;
}

serve::FleetEvents fleet_lines() {
  serve::FleetEvents events;
  events.listening = [](const serve::ListeningEndpoint& endpoint) {
    report_line("Local server started on port: " + std::to_string(endpoint.port));
    if (!endpoint.loopback)
      report_error("warning: listening on " + endpoint.host + " port " +
                   std::to_string(endpoint.port) +
                   ", not loopback only: anyone who can reach it can take the credentials of a "
                   "binding whose token they hold, and the IMDS binding's without any");
  };
  events.serving = [](const serve::BindingEndpoint& binding) {
    report_line(binding_line(binding));
  };
  events.left_out = [](const std::string& binding, const std::string& reason) {
    report_error("binding '" + binding + "' left out: " + reason);
  };
  events.failed = [](const std::string& binding, const FailureReport& report) {
    report_error("binding '" + binding + "': " + serve_failure_line(report));
  };
  events.recovered = [](const std::string& binding, const Credentials& credentials) {
    report_error("binding '" + binding +
                 "': credentials refreshed after the failures above; valid until " +
                 format_iso8601(credentials.expiration));
  };
  events.provider_event = [](const std::string& binding, const ProviderEvent& event) {
    report_error("binding '" + binding + "': " + describe_provider_event(event));
  };
  events.warn = [](const std::string& line) { report_error(line); };
  return events;
}

std::string describe_changes(const std::string& path, const serve::FleetChanges& changes) {
  std::string line = "reloaded " + path + ":";
  bool first = true;
  for (const auto& [what, names] :
       {std::pair{"added", &changes.added}, std::pair{"removed", &changes.removed},
        std::pair{"changed", &changes.changed}, std::pair{"unchanged", &changes.unchanged}}) {
    if (names->empty()) continue;
    line += first ? " " : "; ";
    line += what;
    for (std::size_t i = 0; i < names->size(); ++i) line += (i ? ", " : " ") + (*names)[i];
    first = false;
  }
  return line + (first ? " no bindings" : "");
}

// SIGHUP, from the signal thread to the main thread, which reloads: a reload may take seconds
// (identities loaded, first CreateSessions), and SIGTERM must still be taken meanwhile.
class ReloadRequests {
 public:
  void request() {
    {
      const std::lock_guard lock(mutex_);
      requested_ = true;
    }
    changed_.notify_one();
  }
  // True when a reload was requested, false once `stop` is.
  bool wait(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait(lock, stop, [this] { return requested_; })) return false;
    requested_ = false;
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any changed_;
  bool requested_ = false;
};

// FleetService::apply's own refusals (two bindings on one path...) with the file named.
serve::FleetChanges apply(serve::FleetService& fleet, const std::string& path,
                          std::vector<serve::BindingConfig> bindings, const std::stop_token& stop) {
  try {
    return fleet.apply(std::move(bindings), stop);
  } catch (const Error& error) {
    if (std::string_view(error.what()).starts_with(path + ":")) throw;
    throw Error(error.kind(), path + ": " + error.what());
  }
}

void reload(serve::FleetService& fleet, const std::string& path, bool debug,
            const std::vector<std::string>& serve_arguments, const std::stop_token& stop) {
  try {
    ServeConfigFile file = read_config(path);
    if (file.serve_arguments != serve_arguments)
      report_error("warning: " + path +
                   ": the top level (port, bind, hop-limit, allow-non-loopback, metrics, debug) "
                   "changed; it takes effect when serve restarts");
    wipe_all(file.serve_arguments);
    std::vector<serve::BindingConfig> bindings = read_bindings(std::move(file), debug);
    report_error(describe_changes(path, apply(fleet, path, std::move(bindings), stop)));
  } catch (const std::exception& error) {
    report_error(std::string(error.what()) + "; keeping the running configuration");
  }
}

// "port" of "--port=9911", "metrics" of "--metrics".
std::string key_of_argument(const std::string& argument) {
  return argument.substr(2, argument.find('=') - 2);
}

// The file's top level alone (less the keys the command line overrides), through serve's flag
// parsing: a bad value the file gave is reported with the file's line and key, not as a flag the
// user never typed. Errors about no key of the file (the sockets systemd passed) are left as
// they are, for the full parse to report.
void check_top_level(const ServeConfigFile& file, const cxxopts::ParseResult& command_line) {
  cxxopts::Options serve_options = top_level_options();
  std::vector<std::string> arguments{"serve"};
  for (const std::string& argument : file.serve_arguments)
    if (!command_line.count(key_of_argument(argument))) arguments.push_back(argument);
  const WipeAllOnExit wipe_arguments{arguments};
  std::vector<char*> argv = as_argv(arguments);
  try {
    const auto result = parse_or_help(serve_options, static_cast<int>(argv.size()), argv.data());
    (void)read_serve_flags(*result);
  } catch (const Error& error) {
    const ConfigPosition position = position_of_message(file.serve_key_lines, error.what());
    if (position.key.empty()) return;
    throw Error(error.kind(), file.path + ":" + std::to_string(position.line) + ": key '" +
                                  position.key + "': " + error.what());
  }
}

// The listener's messages (an address off loopback, a port in use) name the file's key where the
// value came from the file rather than the command line.
void label_file_values(serve::ServeLabels& labels, const ServeConfigFile& file,
                       const cxxopts::ParseResult& command_line) {
  const auto from_file = [&](const std::string& key) -> std::optional<std::string> {
    const auto line = file.serve_key_lines.find(key);
    if (line == file.serve_key_lines.end() || command_line.count(key)) return std::nullopt;
    return key + " (" + file.path + ":" + std::to_string(line->second) + ")";
  };
  if (auto port = from_file("port")) labels.port = *port;
  if (auto bind = from_file("bind")) {
    labels.bind = *bind;
    // An address off loopback that the file chose is allowed in the file too.
    labels.allow_non_loopback = "allow-non-loopback = true to the top level of " + file.path;
  }
}

}  // namespace

int serve_config_command(const std::vector<char*>& args, const cxxopts::ParseResult& flags,
                         std::optional<std::chrono::seconds> refresh_before_expiry,
                         std::optional<std::chrono::seconds> announce_after) {
  // Identity and session flags belong in the file, where each binding has its own.
  for (const FlagSpec& flag : describe_flags(provider_options()))
    if (flag.name != "debug" && flag.name != "help" && flags.count(flag.name))
      throw Error(Error::Kind::kInvalidArgument,
                  "--" + flag.name +
                      " does not go with --config: set it in the file's [defaults] or a "
                      "[[binding]]");
  for (const char* flag : {"container-token-file", "container-path"})
    if (flags.count(flag))
      throw Error(
          Error::Kind::kInvalidArgument,
          std::string("--") + flag + " does not go with --config: each [[binding]] has its own");

  const bool reload_on_hangup = take_over_hangups();
  const std::string path = flags["config"].as<std::string>();
  ServeConfigFile file = read_config(path);
  const std::vector<std::string> serve_arguments = file.serve_arguments;  // compared on SIGHUP
  check_top_level(file, flags);

  // The file's top level first, the command line after it: a flag given twice counts last.
  cxxopts::Options serve_options("rolesanywhere-helper serve", "");
  add_serve_flags(serve_options);
  add_provider_flags(serve_options);
  std::vector<std::string> arguments{"serve"};
  arguments.insert(arguments.end(), file.serve_arguments.begin(), file.serve_arguments.end());
  arguments.insert(arguments.end(), args.begin() + 1, args.end());
  std::vector<char*> argv = as_argv(arguments);
  const auto serve_flags = parse_or_help(serve_options, static_cast<int>(argv.size()), argv.data());
  serve::ServeOptions options = read_serve_flags(*serve_flags);
  label_file_values(options.labels, file, flags);
  options.policy = refresh_policy(refresh_before_expiry);
  if (announce_after) options.announce_after = *announce_after;
  const bool debug = serve_flags->count("debug") > 0;

  std::vector<serve::BindingConfig> bindings = read_bindings(std::move(file), debug);
  serve::ServeListener listener(std::move(options));

  std::stop_source stopping;
  SystemClock clock;
  serve::FleetService fleet(std::move(listener), clock, fleet_lines());
  ReloadRequests reloads;
  const StopSignals stop_signals(stopping, reload_on_hangup
                                               ? std::function<void()>([&] { reloads.request(); })
                                               : std::function<void()>{});
  std::signal(SIGPIPE, SIG_IGN);

  // A binding's token may hold a signature (waiting for a touch) that no stop reaches: leave
  // without it rather than wait, as the single serve does.
  const auto stop_refreshes_or_leave = [&fleet, &stop_signals] {
    if (!fleet.stop_refreshes(kRefresherStopWait))
      leave_now(std::string("stopped by ") + stop_signals.received_name() +
                " while a CreateSession was still in progress (a token signing, or the service "
                "not answering); leaving without it");
  };
  try {
    apply(fleet, path, std::move(bindings), stopping.get_token());
    if (stopping.stop_requested()) {
      stop_refreshes_or_leave();
      return 0;
    }
    if (fleet.size() == 0)
      throw Error(Error::Kind::kInvalidArgument,
                  path + ": no binding could start (the lines above say why)");
    fleet.start_answering();

    while (reloads.wait(stopping.get_token()))
      reload(fleet, path, debug, serve_arguments, stopping.get_token());

    report_error(std::string("stopping on ") + stop_signals.received_name() +
                 ": no new connections, answering the requests in flight");
    fleet.shutdown(kDrainTime);
    stop_refreshes_or_leave();
  } catch (const std::exception& error) {
    // Leaving on an error (no binding could start...): the fleet's destructor would wait for a
    // binding retired in the middle of a signature a token holds; leave without it instead.
    if (!fleet.stop_refreshes(kRefresherStopWait)) leave_now(error.what(), 1);
    throw;
  }
  return 0;
}

}  // namespace rolesanywhere::cli
