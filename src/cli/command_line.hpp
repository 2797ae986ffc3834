// Flags shared by the subcommands, with aws_signing_helper's names and defaults, and the
// structs they are read into. Parsing only; what the flags mean is decided by the commands.
#pragma once

#include "flag_labels.hpp"

#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/session.hpp"

#include <cxxopts.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::cli {

// Where the certificate and key come from, as the flags say; the terminal prompts are filled in
// by identity_source().
struct IdentityFlags {
  IdentitySource source;
  // Accepted for compatibility; their back ends are not built yet, and using them is an error.
  std::vector<std::string> unsupported_flags_given;
};

enum class FlagSet {
  kCredentials,     // credential-process, serve, update
  kSignString,      // sign-string
  kReadCertificate  // read-certificate-data
};

void add_identity_flags(cxxopts::Options& options, FlagSet set);
void add_session_flags(cxxopts::Options& options);
void add_debug_flag(cxxopts::Options& options);

IdentityFlags read_identity_flags(const cxxopts::ParseResult& result, FlagSet set);
CreateSessionParams read_session_flags(const cxxopts::ParseResult& result);
TransportOptions read_transport_flags(const cxxopts::ParseResult& result);

// The value of an integer flag given as text: Error(kInvalidArgument) "--FLAG TEXT: must be
// EXPECTED" unless it is a whole number from min to max. Integer flags are read as strings and
// parsed here because cxxopts' own message does not say which flag it could not parse.
int parse_int_flag(std::string_view flag, const std::string& text, int min, int max,
                   std::string_view expected);

// Parses argv for one subcommand; turns cxxopts' exceptions into a usage Error that names the
// flag, and rejects stray positional arguments. Returns nullopt when --help was printed.
std::optional<cxxopts::ParseResult> parse_or_help(cxxopts::Options& options, int argc, char** argv);

}  // namespace rolesanywhere::cli
