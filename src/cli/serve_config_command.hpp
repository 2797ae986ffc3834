// serve --config FILE (serve_config_command.cpp): called by serve_command once the flags are
// parsed, with the arguments they were parsed from (without the test hooks').
#pragma once

#include "command_line.hpp"

#include <chrono>
#include <optional>
#include <vector>

namespace rolesanywhere::cli {

int serve_config_command(const std::vector<char*>& args, const cxxopts::ParseResult& flags,
                         std::optional<std::chrono::seconds> refresh_before_expiry,
                         std::optional<std::chrono::seconds> announce_after);

}  // namespace rolesanywhere::cli
