// completion: prints the completion script for bash, zsh or fish. The commands are the ones the
// usage text lists, and each one's flags are read from the cxxopts definitions it parses with:
// every command is run through main's dispatch as if with --help while a FlagCapture holds its
// definitions (command_flags.hpp), so a new command or flag is completed without a second list.
#include "argv_secrets.hpp"
#include "command_flags.hpp"
#include "commands.hpp"
#include "completion_scripts.hpp"
#include "output.hpp"

#include "rolesanywhere/error.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace rolesanywhere::cli {

namespace {

constexpr const char* kProgram = "rolesanywhere-helper";
constexpr const char* kCompletion = "completion";
constexpr const char* kSummary = "Print a shell completion script: bash, zsh or fish";

constexpr const char* kHelp =
    "Print a shell completion script for rolesanywhere-helper: its commands and their flags.\n"
    "\n"
    "Usage:\n"
    "  rolesanywhere-helper completion bash|zsh|fish\n"
    "\n"
    "The Debian package installs them; by hand:\n"
    "  bash: rolesanywhere-helper completion bash > "
    "~/.local/share/bash-completion/completions/rolesanywhere-helper\n"
    "  zsh:  rolesanywhere-helper completion zsh > ~/.zfunc/_rolesanywhere-helper\n"
    "        (with fpath+=(~/.zfunc) before compinit in ~/.zshrc)\n"
    "  fish: rolesanywhere-helper completion fish > "
    "~/.config/fish/completions/rolesanywhere-helper.fish\n";

// The commands of the usage text: a line "  name   summary" after "Commands:", continued on
// lines indented further, up to the first empty line.
std::vector<CommandSpec> commands_in_usage(const std::string& usage) {
  std::vector<CommandSpec> commands;
  std::istringstream lines(usage);
  std::string line;
  while (std::getline(lines, line) && line != "Commands:") {
  }
  while (std::getline(lines, line) && !line.empty()) {
    const auto text = line.find_first_not_of(' ');
    if (text == std::string::npos) break;
    if (text == 2) {
      const auto name_end = line.find(' ', text);
      CommandSpec command;
      command.name = line.substr(text, name_end - text);
      if (name_end != std::string::npos) {
        const auto summary = line.find_first_not_of(' ', name_end);
        if (summary != std::string::npos) command.summary = line.substr(summary);
      }
      commands.push_back(std::move(command));
    } else if (!commands.empty()) {
      commands.back().summary += " " + line.substr(text);
    }
  }
  if (commands.empty()) throw Error(Error::Kind::kInternal, "the usage text lists no commands");
  return commands;
}

// The flags `command` defines, from its own definitions: it runs as `<command> --help` with the
// capture active, so it returns at its parse_or_help having done nothing.
std::vector<FlagSpec> flags_of(const std::string& command, CommandDispatch dispatch) {
  FlagCapture capture;
  std::string program = kProgram, name = command, help = "--help";
  char* argv[] = {program.data(), name.data(), help.data(), nullptr};
  dispatch(3, argv);
  auto flags = capture.take();
  if (!flags)
    throw Error(Error::Kind::kInternal,
                "the command " + command +
                    " did not read its flags through parse_or_help: its completion is unknown");
  return std::move(*flags);
}

FlagSpec switch_flag(const char* name, const char* short_name, const char* summary) {
  FlagSpec flag;
  flag.name = name;
  flag.short_name = short_name;
  flag.summary = summary;
  return flag;
}

// This command's own: it is not run to learn them, since it is the one running.
CommandSpec completion_spec(const std::string& summary) {
  CommandSpec completion{kCompletion, summary, {}, {}};
  completion.argument_choices.assign(std::begin(kCompletionShells), std::end(kCompletionShells));
  completion.flags = {switch_flag("help", "h", "Show this help")};
  return completion;
}

ProgramSpec program_spec(const char* usage, CommandDispatch dispatch) {
  ProgramSpec program;
  program.name = kProgram;
  // main's own, before any command.
  program.flags = {switch_flag("help", "h", "Show the commands"),
                   switch_flag("version", "", "Print the version")};
  for (CommandSpec& command : commands_in_usage(usage)) {
    if (command.name == kCompletion)
      command = completion_spec(command.summary);
    else
      command.flags = flags_of(command.name, dispatch);
    program.commands.push_back(std::move(command));
  }
  const bool listed = std::any_of(program.commands.begin(), program.commands.end(),
                                  [](const CommandSpec& c) { return c.name == kCompletion; });
  if (!listed) program.commands.push_back(completion_spec(kSummary));
  return program;
}

}  // namespace

int completion_command(int argc, char** argv, const char* usage, CommandDispatch dispatch) {
  if (argc == 2 && (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help"))) {
    write_stdout(kHelp);
    return 0;
  }
  const std::string shell = argc > 1 ? argv[1] : "";
  const bool known = std::any_of(std::begin(kCompletionShells), std::end(kCompletionShells),
                                 [&shell](std::string_view name) { return name == shell; });
  if (argc != 2 || !known)
    throw Error(Error::Kind::kInvalidArgument,
                argc > 2
                    ? std::string("completion takes one argument: bash, zsh or fish")
                    : "completion " + (shell.empty() ? std::string("''") : shown_argument(shell)) +
                          ": the shell must be bash, zsh or fish");
  write_stdout(completion_script(shell, program_spec(usage, dispatch)));
  return 0;
}

}  // namespace rolesanywhere::cli
