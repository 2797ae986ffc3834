// Asking the person at the terminal for a secret: a PKCS#11 PIN, the password of a key file.
#pragma once

#include "rolesanywhere/secret.hpp"

#include <optional>
#include <string>

namespace rolesanywhere::cli {

// Writes `prompt` to /dev/tty and reads one line with echo off, so the secret neither shows on
// the screen nor comes from (or goes to) stdin/stdout, which credential_process callers parse.
// nullopt when there is no terminal (a service, a pipe, CI): the caller says what to do instead.
// Throws Error "no <what> was entered" when nothing was typed.
std::optional<SecretString> prompt_secret_on_terminal(const std::string& prompt,
                                                      const std::string& what);

// A PKCS#11 PIN; without a terminal, throws Error saying how to give the PIN in the URI.
SecretString prompt_pin_on_terminal(const std::string& prompt);

// The password of an encrypted key file named by `label` ("--private-key /x/key.pem"), for
// PasswordProvider; nullopt without a terminal.
std::optional<SecretString> prompt_key_password_on_terminal(const std::string& label);

}  // namespace rolesanywhere::cli
