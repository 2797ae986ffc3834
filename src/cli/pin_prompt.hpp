// Asking the person at the terminal for a PKCS#11 PIN.
#pragma once

#include "rolesanywhere/secret.hpp"

#include <string>

namespace rolesanywhere::cli {

// Writes `prompt` to /dev/tty and reads one line with echo off, so the PIN neither shows on the
// screen nor comes from (or goes to) stdin/stdout, which credential_process callers parse.
// Throws Error naming what was wanted when there is no terminal (a service, a pipe, CI) or
// nothing was typed.
SecretString prompt_pin_on_terminal(const std::string& prompt);

}  // namespace rolesanywhere::cli
