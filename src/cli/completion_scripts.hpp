// Shell completion scripts for bash, zsh and fish, written from the commands' flag definitions
// (command_flags.hpp): subcommands with their summaries, each one's flags, and for a flag's value
// paths, directories, a fixed set of words or nothing.
#pragma once

#include "command_flags.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::cli {

// What the helper accepts before any command (main's own --help and --version).
struct ProgramSpec {
  std::string name;  // rolesanywhere-helper
  std::vector<CommandSpec> commands;
  std::vector<FlagSpec> flags;
};

// The shells a script can be written for, as `completion` names them.
inline constexpr std::string_view kCompletionShells[] = {"bash", "zsh", "fish"};

// The script for `shell` (one of kCompletionShells). Throws Error(kInternal) when a command, flag
// or choice holds a character that the scripts would have to quote (none does: they are words
// like --private-key and SHA256).
std::string completion_script(std::string_view shell, const ProgramSpec& program);

}  // namespace rolesanywhere::cli
