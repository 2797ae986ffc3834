// serve --config's file reader (src/cli/serve_config_file.hpp): TOML text through toml++ into
// each binding's command-line arguments.
//
// Input: the file's text.
//
// Invariants:
//   1. the only thing thrown is Error(kInvalidArgument), and its message starts with the file's
//      path and a colon (every message points into the file);
//   2. a file that is accepted has at least one binding, every name is [A-Za-z0-9_-]+ and unique,
//      container paths and token files are unique and not empty, at most one binding is the IMDS
//      one, and every container path starts with '/' and is not under /latest/;
//   3. every argument is "--NAME" for a switch of the set or "--NAME=VALUE" for a value flag of
//      the set, with no NUL in it: nothing reaches the flag parsing that the file could not say.
#include "cli/serve_config_file.hpp"
#include "fuzz_support.hpp"

#include "rolesanywhere/error.hpp"

#include <set>

using namespace rolesanywhere;

namespace {

cli::FlagSpec flag(const std::string& name, bool takes_value) {
  cli::FlagSpec spec;
  spec.name = name;
  if (takes_value) spec.value_name = "VALUE";
  return spec;
}

// A stand-in for the command line's definitions: value flags, switches and a repeatable one.
const cli::ConfigFlagSet& binding_flags() {
  static const cli::ConfigFlagSet set = [] {
    cli::ConfigFlagSet flags;
    for (const char* name : {"certificate", "private-key", "intermediates", "role-arn",
                             "profile-arn", "trust-anchor-arn", "session-duration", "endpoint",
                             "pkcs8-password", "instance-property"})
      flags.flags.push_back(flag(name, true));
    for (const char* name : {"no-verify-ssl", "with-proxy", "reuse-pin", "use-fips-endpoint"})
      flags.flags.push_back(flag(name, false));
    flags.repeatable = {"instance-property"};
    return flags;
  }();
  return set;
}

const cli::ConfigFlagSet& serve_flags() {
  static const cli::ConfigFlagSet set = [] {
    cli::ConfigFlagSet flags;
    for (const char* name : {"port", "bind", "hop-limit"}) flags.flags.push_back(flag(name, true));
    for (const char* name : {"allow-non-loopback", "metrics", "debug"})
      flags.flags.push_back(flag(name, false));
    return flags;
  }();
  return set;
}

void check_arguments(const std::vector<std::string>& arguments, const cli::ConfigFlagSet& set) {
  for (const std::string& argument : arguments) {
    fuzz::check(argument.starts_with("--"), "an argument is a long flag", argument);
    fuzz::check(argument.find('\0') == std::string::npos, "no NUL reaches the flag parsing");
    const std::size_t equals = argument.find('=');
    const std::string name = argument.substr(2, equals == std::string::npos ? equals : equals - 2);
    bool known = false;
    for (const cli::FlagSpec& spec : set.flags)
      if (spec.name == name) {
        known = true;
        fuzz::check((equals != std::string::npos) == !spec.value_name.empty(),
                    "a value flag has a value and a switch none", argument);
      }
    fuzz::check(known, "only flags of the set", argument);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::as_text(data, size));
  const std::string path = "/etc/rah/serve.toml";
  cli::ServeConfigFile file;
  try {
    file = cli::parse_serve_config(path, text, serve_flags(), binding_flags());
  } catch (const Error& error) {
    const std::string message = error.what();
    fuzz::check(error.kind() == Error::Kind::kInvalidArgument,
                "a bad file is Error(kInvalidArgument)", message);
    fuzz::check(message.rfind(path + ":", 0) == 0, "the error starts with the file", message);
    return 0;
  }
  fuzz::check(!file.bindings.empty(), "an accepted file has a binding");
  check_arguments(file.serve_arguments, serve_flags());
  std::set<std::string> names, paths, token_files;
  int imds = 0;
  for (const cli::ConfigBinding& binding : file.bindings) {
    fuzz::check(!binding.name.empty() && binding.name.find_first_not_of(
                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
                                             "yz0123456789_-") == std::string::npos,
                "a name is [A-Za-z0-9_-]+", binding.name);
    fuzz::check(names.insert(binding.name).second, "names are unique", binding.name);
    fuzz::check(
        binding.container_path.starts_with('/') && !binding.container_path.starts_with("/latest/"),
        "a container path starts with / and is not under /latest/", binding.container_path);
    fuzz::check(paths.insert(binding.container_path).second, "container paths are unique");
    fuzz::check(!binding.container_token_file.empty() &&
                    token_files.insert(binding.container_token_file).second,
                "token files are given and unique");
    imds += binding.imds ? 1 : 0;
    check_arguments(binding.arguments, binding_flags());
  }
  fuzz::check(imds <= 1, "one IMDS binding at most");
  return 0;
}
