// The secrets a command line carries (key passwords, PINs inside pkcs11: URIs): overwritten in
// argv once cxxopts has copied them, so they no longer show in ps or /proc/PID/cmdline (as curl
// does for -u), and hidden when a message shows an argument.
#pragma once

#include <string>
#include <string_view>

namespace rolesanywhere::cli {

// Overwrites with '*' the value of --pkcs8-password and --tpm-key-password (the next argument,
// whatever it looks like, or the text after '='; the flag written with any number of dashes, en
// and em dashes too) and whatever p11-kit could read as a PIN in a pkcs11: URI, given alone or
// after an argument's first '=' (found the way messages find it, so a PIN a message hides is not
// left in argv either). Every argument keeps its length, argv[0] and everything else their bytes.
// The copies cxxopts keeps are outside our reach.
void hide_secret_arguments(int argc, char** argv);

// Runs hide_secret_arguments when it goes out of scope, however that happens: declared in a try
// block, before the handler writes the error.
class HideSecretArgumentsOnExit {
 public:
  HideSecretArgumentsOnExit(int argc, char** argv) : argc_(argc), argv_(argv) {}
  HideSecretArgumentsOnExit(const HideSecretArgumentsOnExit&) = delete;
  HideSecretArgumentsOnExit& operator=(const HideSecretArgumentsOnExit&) = delete;
  ~HideSecretArgumentsOnExit() { hide_secret_arguments(argc_, argv_); }

 private:
  int argc_;
  char** argv_;
};

// "pkcs8-password" or "tpm-key-password": a flag whose value is a password.
bool is_secret_flag_name(std::string_view name);

// `argument` as a message may show it: what hide_secret_arguments overwrites in it on its own (a
// password flag's '=' value, a URI's PIN) replaced by "<hidden>", as hide_pkcs11_uri_secrets
// shows a URI.
std::string shown_argument(std::string_view argument);

// A stray argument (one cxxopts matched to no flag) as a message may show it, read before argv is
// blanked: "<hidden>" when it follows a password flag in argv (however many dashes), which
// hide_secret_arguments overwrites even when cxxopts read that flag as another's value
// (`--certificate --pkcs8-password VALUE` leaves VALUE stray); else shown_argument's.
std::string shown_stray_argument(std::string_view argument, int argc, const char* const* argv);

}  // namespace rolesanywhere::cli
