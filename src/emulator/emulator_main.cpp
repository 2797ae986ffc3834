// rolesanywhere-emulator: a local IAM Roles Anywhere CreateSession endpoint that verifies
// requests like the real service, for tests and demos. Prints nothing on stdout; with --verbose
// each request's verdict (and the canonical request it computed) goes to stderr.
#include "emulator_config.hpp"
#include "emulator_server.hpp"
#include "rolesanywhere/error.hpp"

#include <cxxopts.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

using namespace rolesanywhere;
using namespace rolesanywhere::emulator;

namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_stop_signal(int) { stop_requested = 1; }

std::string read_text_file(const std::string& path, const std::string& flag) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(Error::Kind::kInput, flag + " " + path + ": cannot open");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Written to a temporary name and renamed, so a script polling for the file never reads half.
void write_port_file(const std::string& path, std::uint16_t port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << port << "\n";
    if (!file) throw Error(Error::Kind::kInput, "--port-file " + path + ": cannot write");
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw Error(Error::Kind::kInput, "--port-file " + path + ": cannot rename into place");
}

cxxopts::Options define_flags() {
  cxxopts::Options options("rolesanywhere-emulator",
                           "A local IAM Roles Anywhere CreateSession endpoint that verifies "
                           "SigV4-X509 signatures and certificate chains like the real service.");
  // clang-format off
  options.add_options()
    ("port", "TCP port on 127.0.0.1; 0 picks a free one", cxxopts::value<int>()->default_value("0"))
    ("port-file", "write the bound port here (atomically) once listening", cxxopts::value<std::string>())
    ("trust-anchor-arn", "the trust anchor served", cxxopts::value<std::string>()->default_value(kDefaultTrustAnchorArn))
    ("profile-arn", "the profile served", cxxopts::value<std::string>()->default_value(kDefaultProfileArn))
    ("role-arn", "a role served; repeatable: every role given is served", cxxopts::value<std::vector<std::string>>()->default_value(kDefaultRoleArn))
    ("region", "signing region requests must use (default: the trust anchor's)", cxxopts::value<std::string>())
    ("ca", "trust anchor CA certificate(s), PEM; repeatable, required", cxxopts::value<std::vector<std::string>>())
    ("tls-cert", "serve HTTPS with this PEM certificate (chain)", cxxopts::value<std::string>())
    ("tls-key", "the PEM private key of --tls-cert (unencrypted)", cxxopts::value<std::string>())
    ("clock-offset", "pretend the time is now + SECONDS (may be negative)", cxxopts::value<long>()->default_value("0"))
    ("require-instance-properties", "the profile requires instance properties: refuse a CreateSession without instanceProperties")
    ("max-session-seconds", "issue sessions of at most N seconds, below the 900 s minimum too (0: as asked)", cxxopts::value<int>()->default_value("0"))
    ("fail-count", "the first N CreateSession requests get the fault", cxxopts::value<int>()->default_value("0"))
    ("fail-cycle", "PASS:FAIL: over and over, PASS CreateSession requests answered, then FAIL get the fault", cxxopts::value<std::string>())
    ("fail-status", "status of injected failures: 500, 503, 429, 403, ...", cxxopts::value<int>()->default_value("500"))
    ("delay-ms", "sleep this long before answering CreateSession", cxxopts::value<int>()->default_value("0"))
    ("garbage-body", "answer 201 with a body that is not JSON")
    ("drop-connection", "close the connection without answering")
    ("refuse-role", "answer 403 AccessDeniedException to CreateSession for this role; repeatable", cxxopts::value<std::vector<std::string>>())
    ("verbose", "log each request's verdict and canonical request to stderr")
    ("h,help", "show this help");
  // clang-format on
  return options;
}

void print_help(const cxxopts::Options& options) {
  std::cout << options.help() << "\n"
            << "Control endpoints: POST /_emulator/faults {\"fail_count\":N,\"cycle_pass\":N,"
               "\"cycle_fail\":N,"
               "\"fail_status\":S,"
               "\"delay_ms\":N,\"garbage_body\":bool,\"drop_connection\":bool,"
               "\"refuse_roles\":[\"arn:...\"]}; "
               "GET /_emulator/stats (counts, and the sessions issued: access key id, role, "
               "expiration).\n";
}

// What the emulator serves and which CAs it trusts.
EmulatorConfig read_config(const cxxopts::ParseResult& flags) {
  EmulatorConfig config;
  config.trust_anchor_arn = flags["trust-anchor-arn"].as<std::string>();
  config.profile_arn = flags["profile-arn"].as<std::string>();
  const auto roles = flags["role-arn"].as<std::vector<std::string>>();
  config.role_arn = roles.front();  // cxxopts gives the default when none is given
  config.other_role_arns.assign(roles.begin() + 1, roles.end());
  if (flags.count("region")) config.region = flags["region"].as<std::string>();
  config.max_session_seconds = flags["max-session-seconds"].as<int>();
  config.require_instance_properties = flags.count("require-instance-properties") > 0;
  if (!flags.count("ca"))
    throw Error(Error::Kind::kInvalidArgument, "--ca is required: name the trust anchor's CA file");
  config.trust_anchor_certificates =
      load_ca_certificates(flags["ca"].as<std::vector<std::string>>());
  finish_config(config);
  return config;
}

void read_faults(const cxxopts::ParseResult& flags, EmulatorServerOptions& server_options) {
  server_options.faults.fail_count = flags["fail-count"].as<int>();
  server_options.faults.fail_status = flags["fail-status"].as<int>();
  server_options.faults.delay_ms = flags["delay-ms"].as<int>();
  server_options.faults.garbage_body = flags.count("garbage-body") > 0;
  server_options.faults.drop_connection = flags.count("drop-connection") > 0;
  if (flags.count("refuse-role"))
    server_options.faults.refuse_roles = flags["refuse-role"].as<std::vector<std::string>>();
  if (flags.count("fail-cycle"))
    parse_fail_cycle(flags["fail-cycle"].as<std::string>(), "--fail-cycle", server_options.faults);
}

// How the server listens (port, TLS), which faults it injects, its clock and its log.
EmulatorServerOptions read_server_options(const cxxopts::ParseResult& flags) {
  const int port = flags["port"].as<int>();
  if (port < 0 || port > 65535)
    throw Error(Error::Kind::kInvalidArgument, "--port must be within 0..65535");

  EmulatorServerOptions server_options;
  server_options.port = static_cast<std::uint16_t>(port);
  if (flags.count("tls-cert"))
    server_options.tls_certificate_pem =
        read_text_file(flags["tls-cert"].as<std::string>(), "--tls-cert");
  if (flags.count("tls-key"))
    server_options.tls_key_pem = read_text_file(flags["tls-key"].as<std::string>(), "--tls-key");
  read_faults(flags, server_options);
  const auto offset = std::chrono::seconds(flags["clock-offset"].as<long>());
  server_options.now = [offset] { return std::chrono::system_clock::now() + offset; };
  if (flags.count("verbose")) {
    auto log_mutex = std::make_shared<std::mutex>();
    server_options.log = [log_mutex](std::string_view line) {
      std::lock_guard lock(*log_mutex);
      std::cerr << "rolesanywhere-emulator: " << line << std::endl;
    };
  }
  return server_options;
}

// Starts the server, announces its port, and serves until SIGTERM or SIGINT.
void serve_until_stopped(EmulatorConfig config, EmulatorServerOptions server_options,
                         const cxxopts::ParseResult& flags) {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);

  EmulatorServer server(std::move(config), std::move(server_options));
  if (flags.count("port-file"))
    write_port_file(flags["port-file"].as<std::string>(), server.port());
  if (flags.count("verbose"))
    std::cerr << "rolesanywhere-emulator: listening on "
              << (flags.count("tls-cert") ? "https" : "http") << "://127.0.0.1:" << server.port()
              << std::endl;

  // The daemon runs on its own threads; this one only waits for a stop signal.
  while (!stop_requested) {
    struct timespec pause = {0, 100'000'000};
    nanosleep(&pause, nullptr);
  }
}  // ~EmulatorServer stops the daemon cleanly

int run(int argc, char** argv) {
  auto options = define_flags();
  const auto flags = options.parse(argc, argv);
  if (flags.count("help")) {
    print_help(options);
    return 0;
  }
  if (!flags.unmatched().empty())
    throw Error(Error::Kind::kInvalidArgument,
                "unexpected argument '" + flags.unmatched()[0] + "'");

  EmulatorConfig config = read_config(flags);
  EmulatorServerOptions server_options = read_server_options(flags);
  serve_until_stopped(std::move(config), std::move(server_options), flags);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const cxxopts::exceptions::exception& error) {
    std::cerr << "rolesanywhere-emulator: " << error.what() << "\n";
    return 2;
  } catch (const Error& error) {
    std::cerr << "rolesanywhere-emulator: " << error.what() << "\n";
    return error.kind() == Error::Kind::kInvalidArgument ? 2 : 1;
  }
}
