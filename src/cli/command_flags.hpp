// What a subcommand's flags are, read from the very cxxopts definitions it parses with, so shell
// completions never need a second list. A FlagCapture makes parse_or_help hand the definitions
// over instead of parsing: the completion generator runs each subcommand that way, as if with
// --help, and learns its flags without running it.
#pragma once

#include <cxxopts.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rolesanywhere::cli {

// What a shell offers for a flag's value, from the value's name in --help (cxxopts' arg_help):
// FILE: paths; DIR: directories; a|b|c: those words; no name given ("arg"): paths, since it may
// be anything; any other name (ARN, SECONDS, URL...): nothing to offer.
enum class ValueCompletion { kNoValue, kFiles, kDirectories, kChoices, kNothing };

struct FlagSpec {
  std::string name;        // long name, without the dashes
  std::string short_name;  // one letter, or empty
  std::string summary;     // the description's first sentence, for the shells that show one
  std::string value_name;  // as --help shows it: FILE, ARN, SECONDS...; empty for a switch
  ValueCompletion value = ValueCompletion::kNoValue;
  std::vector<std::string> choices;  // for kChoices
};

struct CommandSpec {
  std::string name;
  std::string summary;
  std::vector<FlagSpec> flags;
  std::vector<std::string> argument_choices;  // words its first positional argument takes
};

// Every flag `options` defines, group by group.
std::vector<FlagSpec> describe_flags(const cxxopts::Options& options);

// While one exists (one at a time), parse_or_help records the flags of the command that calls it
// and reports --help as handled, so the command returns at once having done nothing.
class FlagCapture {
 public:
  FlagCapture();
  ~FlagCapture();
  FlagCapture(const FlagCapture&) = delete;
  FlagCapture& operator=(const FlagCapture&) = delete;

  // The flags recorded since the last take(), or nullopt when no command offered any.
  std::optional<std::vector<FlagSpec>> take();

  // Called by parse_or_help: true when a capture is active and took the definitions.
  static bool offer(const cxxopts::Options& options);

 private:
  std::optional<std::vector<FlagSpec>> captured_;
};

}  // namespace rolesanywhere::cli
