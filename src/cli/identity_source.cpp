#include "identity_source.hpp"

#include "pin_prompt.hpp"

#include "rolesanywhere/error.hpp"

#include <string_view>

namespace rolesanywhere::cli {

namespace {

void reject_uri(const std::string& flag, const std::string& value) {
  if (value.starts_with("handle:"))
    throw Error(
        Error::Kind::kNotSupported,
        flag + " " + value + ": TPM keys are not supported yet in this version; use a key file");
}

}  // namespace

void reject_unsupported_sources(const IdentityFlags& flags) {
  if (!flags.unsupported_flags_given.empty())
    throw Error(Error::Kind::kNotSupported,
                flags.unsupported_flags_given.front() +
                    " is not supported yet in this version; use --certificate and "
                    "--private-key with files");
  reject_uri("--certificate", flags.source.certificate);
  reject_uri("--private-key", flags.source.private_key);
}

IdentitySource identity_source(IdentityFlags flags) {
  reject_unsupported_sources(flags);
  flags.source.ask_password = prompt_key_password_on_terminal;
  flags.source.ask_pin = prompt_pin_on_terminal;
  return std::move(flags.source);
}

}  // namespace rolesanywhere::cli
