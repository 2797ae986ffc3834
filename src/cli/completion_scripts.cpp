#include "completion_scripts.hpp"

#include "rolesanywhere/error.hpp"

#include <algorithm>

namespace rolesanywhere::cli {

namespace {

// Names, flags and choices go into the scripts unquoted: they must be plain words.
const std::string& plain_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '/';
  });
  if (!plain)
    throw Error(Error::Kind::kInternal,
                "'" + word + "' cannot go unquoted into a completion script");
  return word;
}

std::string joined(const std::vector<std::string>& words, std::string_view separator) {
  std::string text;
  for (const std::string& word : words) {
    if (!text.empty()) text += separator;
    text += plain_word(word);
  }
  return text;
}

std::string function_name(const std::string& program) {
  std::string name = "_" + plain_word(program);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// A description inside a single-quoted shell string (zsh: '\'' closes, escapes and reopens).
std::string zsh_quoted_text(const std::string& text, std::string_view also_escaped) {
  std::string quoted;
  for (char c : text) {
    if (c == '\'')
      quoted += "'\\''";
    else if (also_escaped.find(c) != std::string_view::npos)
      quoted += std::string("\\") + c;
    else
      quoted += c;
  }
  return quoted;
}

// fish's single quotes take \' and \\.
std::string fish_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// ---- bash ----

std::vector<std::string> dashed_names(const std::vector<FlagSpec>& flags) {
  std::vector<std::string> names;
  for (const FlagSpec& flag : flags) {
    names.push_back("--" + flag.name);
    if (!flag.short_name.empty()) names.push_back("-" + flag.short_name);
  }
  return names;
}

// The `case $prev in` branches for the flags whose value is of `kind`.
std::string bash_value_case(const std::vector<FlagSpec>& flags, ValueCompletion kind,
                            const std::string& action) {
  std::vector<std::string> names;
  for (const FlagSpec& flag : flags)
    if (flag.value == kind) names.push_back("--" + flag.name);
  if (names.empty()) return "";
  return "        " + joined(names, "|") + ") " + action + "; return ;;\n";
}

std::string bash_command_branch(const std::string& function, const CommandSpec& command) {
  std::string values =
      bash_value_case(command.flags, ValueCompletion::kFiles, function + "_paths -f");
  values += bash_value_case(command.flags, ValueCompletion::kDirectories, function + "_paths -d");
  for (const FlagSpec& flag : command.flags)
    if (flag.value == ValueCompletion::kChoices)
      values += "        --" + plain_word(flag.name) + ") " + function + "_words '" +
                joined(flag.choices, " ") + "'; return ;;\n";
  values += bash_value_case(command.flags, ValueCompletion::kNothing, "COMPREPLY=()");
  std::string branch = "    " + plain_word(command.name) + ")\n";
  if (!values.empty()) branch += "      case $prev in\n" + values + "      esac\n";
  std::string words = joined(dashed_names(command.flags), " ");
  if (!command.argument_choices.empty())
    branch += "      if ((COMP_CWORD == 2)) && [[ $cur != -* ]]; then\n        " + function +
              "_words '" + joined(command.argument_choices, " ") + "'\n        return\n      fi\n";
  branch += "      " + function + "_words '" + words + "'\n      ;;\n";
  return branch;
}

std::string bash_script(const ProgramSpec& program) {
  const std::string function = function_name(program.name);
  std::vector<std::string> command_names;
  for (const CommandSpec& command : program.commands) command_names.push_back(command.name);
  std::string script =
      "# bash completion for " + program.name + ".\n# Written by `" + program.name +
      " completion bash` from the flags its commands parse.\n\n" +
      // COMPREPLY from a word list, or from paths (-f) or directories (-d), one per line so
      // names with spaces stay whole.
      function + "_words() {\n  mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$cur\")\n}\n\n" +
      function + "_paths() {\n  compopt -o filenames 2>/dev/null\n" +
      "  mapfile -t COMPREPLY < <(compgen \"$1\" -- \"$cur\")\n}\n\n" + function + "() {\n" +
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n" +
      "  # --flag=value arrives as three words, bash splitting at '=' (COMP_WORDBREAKS).\n" +
      "  if [[ $cur == = ]]; then\n    cur=\n" +
      "  elif [[ $prev == = ]] && ((COMP_CWORD > 2)); then\n" +
      "    prev=${COMP_WORDS[COMP_CWORD - 2]}\n  fi\n" + "  if ((COMP_CWORD == 1)); then\n" +
      "    if [[ $cur == -* ]]; then " + function + "_words '" +
      joined(dashed_names(program.flags), " ") + "'; else " + function + "_words '" +
      joined(command_names, " ") + "'; fi\n    return\n  fi\n" + "  case ${COMP_WORDS[1]} in\n";
  for (const CommandSpec& command : program.commands)
    script += bash_command_branch(function, command);
  script += "  esac\n}\n\ncomplete -F " + function + " " + program.name + "\n";
  return script;
}

// ---- zsh ----

// One _arguments spec per flag: '(-h --help)'{-h,--help}'[Show this help]' or
// '--certificate=[Path to certificate file]:FILE:_files'.
std::string zsh_flag_spec(const FlagSpec& flag) {
  const std::string description = "[" + zsh_quoted_text(flag.summary, "[]\\") + "]";
  // The message zsh shows over the candidates is the value's name in --help.
  const std::string message = ":" + zsh_quoted_text(flag.value_name, ":\\") + ":";
  std::string value;
  switch (flag.value) {
    case ValueCompletion::kNoValue:
      break;
    case ValueCompletion::kFiles:
      value = message + "_files";
      break;
    case ValueCompletion::kDirectories:
      value = message + "_files -/";
      break;
    case ValueCompletion::kChoices:
      value = message + "(" + joined(flag.choices, " ") + ")";
      break;
    case ValueCompletion::kNothing:
      value = message + " ";
      break;
  }
  const std::string long_name = "--" + plain_word(flag.name);
  const std::string equals = flag.value == ValueCompletion::kNoValue ? "" : "=";
  if (flag.short_name.empty()) return "'" + long_name + equals + description + value + "'";
  const std::string short_name = "-" + plain_word(flag.short_name);
  return "'(" + short_name + " " + long_name + ")'{" + short_name + "," + long_name + equals +
         "}'" + description + value + "'";
}

std::string zsh_arguments(const std::vector<FlagSpec>& flags,
                          const std::vector<std::string>& argument_choices,
                          std::string_view indent) {
  std::string text = "_arguments -s";
  for (const FlagSpec& flag : flags) text += " \\\n" + std::string(indent) + zsh_flag_spec(flag);
  if (!argument_choices.empty())
    text += " \\\n" + std::string(indent) + "'1:argument:(" + joined(argument_choices, " ") + ")'";
  return text;
}

std::string zsh_script(const ProgramSpec& program) {
  const std::string function = function_name(program.name);
  std::string script = "#compdef " + program.name + "\n# zsh completion for " + program.name +
                       ".\n# Written by `" + program.name +
                       " completion zsh` from the flags its commands parse.\n\n" + function +
                       "() {\n  local curcontext=$curcontext state line ret=1\n" +
                       "  typeset -A opt_args\n  " + zsh_arguments(program.flags, {}, "    ") +
                       " \\\n    '1: :->command' \\\n    '*:: :->argument' && ret=0\n" +
                       "  case $state in\n    command)\n      local -a commands=(\n";
  for (const CommandSpec& command : program.commands)
    script +=
        "        '" + plain_word(command.name) + ":" + zsh_quoted_text(command.summary, "") + "'\n";
  script += "      )\n      _describe -t commands command commands && ret=0\n      ;;\n" +
            std::string("    argument)\n      curcontext=${curcontext%:*:*}:") + program.name +
            "-$words[1]:\n      case $words[1] in\n";
  for (const CommandSpec& command : program.commands)
    script += "        " + plain_word(command.name) + ")\n          " +
              zsh_arguments(command.flags, command.argument_choices, "            ") +
              " && ret=0\n          ;;\n";
  script += "      esac\n      ;;\n  esac\n  return ret\n}\n\n" +
            // Autoloaded from $fpath the file is the function's body; sourced, it registers.
            std::string("if [[ $funcstack[1] == _") + program.name + " ]]; then\n  " + function +
            " \"$@\"\nelse\n  compdef " + function + " " + program.name + "\nfi\n";
  return script;
}

// ---- fish ----

std::string fish_flag_line(const std::string& prefix, const FlagSpec& flag) {
  std::string line = prefix + " -l " + plain_word(flag.name);
  if (!flag.short_name.empty()) line += " -s " + plain_word(flag.short_name);
  switch (flag.value) {
    case ValueCompletion::kNoValue:
      break;
    case ValueCompletion::kFiles:
      line += " -r -F";
      break;
    case ValueCompletion::kDirectories:
      line += " -x -a '(__fish_complete_directories (commandline -ct))'";
      break;
    case ValueCompletion::kChoices:
      line += " -x -a '" + joined(flag.choices, " ") + "'";
      break;
    case ValueCompletion::kNothing:
      line += " -x";
      break;
  }
  return line + " -d " + fish_quoted(flag.summary) + "\n";
}

std::string fish_script(const ProgramSpec& program) {
  const std::string complete = "complete -c " + plain_word(program.name);
  std::string script = "# fish completion for " + program.name + ".\n# Written by `" +
                       program.name + " completion fish` from the flags its commands parse.\n\n" +
                       // Paths only where a flag takes a file.
                       complete + " -f\n";
  const std::string before_command = complete + " -n __fish_use_subcommand";
  for (const FlagSpec& flag : program.flags) script += fish_flag_line(before_command, flag);
  for (const CommandSpec& command : program.commands)
    script += before_command + " -a " + plain_word(command.name) + " -d " +
              fish_quoted(command.summary) + "\n";
  for (const CommandSpec& command : program.commands) {
    const std::string in_command =
        complete + " -n '__fish_seen_subcommand_from " + plain_word(command.name) + "'";
    script += "\n";
    for (const FlagSpec& flag : command.flags) script += fish_flag_line(in_command, flag);
    if (!command.argument_choices.empty())
      script += in_command + " -a '" + joined(command.argument_choices, " ") + "'\n";
  }
  return script;
}

}  // namespace

std::string completion_script(std::string_view shell, const ProgramSpec& program) {
  if (shell == "bash") return bash_script(program);
  if (shell == "zsh") return zsh_script(program);
  if (shell == "fish") return fish_script(program);
  throw Error(Error::Kind::kInternal, "no completion script for the shell " + std::string(shell));
}

}  // namespace rolesanywhere::cli
