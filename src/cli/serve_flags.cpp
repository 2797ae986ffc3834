#include "serve_flags.hpp"

#include "output.hpp"

#include "rolesanywhere/error.hpp"

#include <filesystem>

namespace rolesanywhere::cli {

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
       cxxopts::value<std::string>()->default_value("/v1/credentials"), "URL_PATH")  //
      ("metrics",
       "Also answer GET /metrics in the Prometheus text format (refreshes, failures, seconds until "
       "expiry); GET /healthz is always answered")  //
      ("config",
       "Serve several roles, each on its own container path and token, as this TOML file says "
       "(README: Several roles in one serve); the serve flags above override its top level",
       cxxopts::value<std::string>(), "FILE");
}

namespace {

// The flag names the listener's messages point to, as add_serve_flags spells them.
serve::ServeLabels serve_labels() {
  serve::ServeLabels labels;
  labels.bind = "--bind";
  labels.port = "--port";
  labels.allow_non_loopback = "--allow-non-loopback";
  labels.container_token_file = "--container-token-file";
  return labels;
}

}  // namespace

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
  options.metrics = result.count("metrics") > 0;
  return options;
}

}  // namespace rolesanywhere::cli
