// serve --config FILE: a TOML file whose keys are the long flag names without the dashes, read
// into command-line arguments so every value goes through the very flag parsing the command line
// uses (nothing new to learn, nothing validated twice). Pure: text in, arguments out, or an Error
// that names the file, the line and the key.
//
//   port = 9911                # top level: serve's own flags (port, bind, hop-limit,
//   [defaults]                 #   allow-non-loopback, metrics)
//   trust-anchor-arn = "..."   # any credential-process flag, for every binding
//   [[binding]]
//   name = "web"               # required, unique, [A-Za-z0-9_-]+
//   role-arn = "..."           # any credential-process flag; wins over [defaults]
//   container-token-file = "/run/secrets/web-token"   # required
//   container-path = "/v1/credentials/web"            # default: /v1/credentials/<name>
//   imds = true                # at most one binding
#pragma once

#include "command_flags.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace rolesanywhere::cli {

// The flags a section of the file may hold, as the command line defines them.
struct ConfigFlagSet {
  std::vector<FlagSpec> flags;       // value_name empty: a switch (true: given; false: left out)
  std::set<std::string> repeatable;  // flags a TOML array of strings gives once per element
};

struct ConfigBinding {
  std::string name;
  int line = 0;  // of its [[binding]] header
  // "--flag=value" and "--switch": [defaults] first, then the binding's own keys, a key of the
  // binding replacing the same key of [defaults] (an array replaces the whole array).
  std::vector<std::string> arguments;
  // Every key the arguments came from, with its line: messages about a flag point here.
  std::map<std::string, int> key_lines;
  std::string container_path;        // "/v1/credentials/<name>" unless given
  std::string container_token_file;  // as written (the caller makes it absolute)
  bool imds = false;
};

struct ServeConfigFile {
  std::string path;                          // as given, for messages
  std::vector<std::string> serve_arguments;  // the top level's "--port=9911", "--metrics", ...
  std::map<std::string, int> serve_key_lines;
  std::vector<ConfigBinding> bindings;  // in file order; at least one
};

// Reads `text` (the content of `path`). Throws Error(kInvalidArgument) "PATH:LINE: ..." naming
// the key for: TOML syntax errors (toml++'s message and position), unknown keys (at the top
// level, in [defaults], in a binding; binding-only keys in [defaults]), a value of the wrong type
// (a string or integer for a value flag, a boolean for a switch, an array of strings for a
// repeatable flag), a missing or malformed or duplicate name, a missing container-token-file, two
// bindings with the same container-path or container-token-file, a container-path that does not
// start with '/' or lies under /latest/, more than one `imds = true`, no [[binding]] at all, and
// env:/fd: identity sources (read once at start, they could not be read again on SIGHUP).
ServeConfigFile parse_serve_config(const std::string& path, const std::string& text,
                                   const ConfigFlagSet& serve_flags,
                                   const ConfigFlagSet& binding_flags);

// The key of `binding` that an error message about a flag ("--role-arn ...: ...") is about, and
// its line: the first of the binding's keys whose "--key" appears in `message`, else the binding's
// header line and an empty key. For wrapping errors of the flag parsing with the file's position.
struct ConfigPosition {
  std::string key;
  int line = 0;
};
ConfigPosition position_of_message(const ConfigBinding& binding, const std::string& message);
// The same for the file's top level (serve's own flags); without a match, line 0 and no key.
ConfigPosition position_of_message(const std::map<std::string, int>& key_lines,
                                   const std::string& message);

}  // namespace rolesanywhere::cli
