#include "identity_source.hpp"

#include "pin_prompt.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/tpm.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::cli {

namespace {

// A TPM holds keys, not the certificate: a handle belongs in --private-key.
void reject_certificate_handle(const std::string& value) {
  if (is_tpm_handle(value))
    throw Error(Error::Kind::kInvalidArgument,
                "--certificate " + value +
                    ": a TPM key is given with --private-key; --certificate names its "
                    "certificate file");
}

}  // namespace

void preload_inline_identity_flags(int argc, char** argv) {
  constexpr std::string_view kFlags[] = {"--certificate", "--private-key", "--intermediates"};
  std::vector<std::string> values;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    for (std::string_view flag : kFlags) {
      if (arg == flag && i + 1 < argc) values.emplace_back(argv[i + 1]);
      if (arg.size() > flag.size() && arg.starts_with(flag) && arg[flag.size()] == '=')
        values.emplace_back(arg.substr(flag.size() + 1));
    }
  }
  preload_inline_sources(values);
}

void reject_unsupported_sources(const IdentityFlags& flags) {
  if (!flags.unsupported_flags_given.empty())
    throw Error(Error::Kind::kNotSupported,
                flags.unsupported_flags_given.front() +
                    " is not supported yet in this version; use --certificate and "
                    "--private-key with files");
  reject_certificate_handle(flags.source.certificate);
}

IdentitySource identity_source(IdentityFlags flags) {
  reject_unsupported_sources(flags);
  flags.source.ask_password = prompt_key_password_on_terminal;
  flags.source.ask_pin = prompt_pin_on_terminal;
  return std::move(flags.source);
}

}  // namespace rolesanywhere::cli
