// serve's own flags (where to listen, the container path and its token, /metrics, --config),
// shared by the single serve and serve --config.
#pragma once

#include "command_line.hpp"

#include "rolesanywhere/serve.hpp"

namespace rolesanywhere::cli {

void add_serve_flags(cxxopts::Options& options);
// Reads them (and --debug) into the listener's options; the refresh policy is left to the caller.
serve::ServeOptions read_serve_flags(const cxxopts::ParseResult& result);

}  // namespace rolesanywhere::cli
