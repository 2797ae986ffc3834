// The CLI's argv blanking (src/cli/argv_secrets.cpp): what ps and /proc/PID/cmdline show of a
// command line once its flags are read, and how a message shows one argument.
#include "cli/argv_secrets.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using rolesanywhere::cli::hide_secret_arguments;
using rolesanywhere::cli::shown_argument;

namespace {

// `arguments` after hide_secret_arguments, run on buffers the way argv is.
std::vector<std::string> blanked(std::vector<std::string> arguments) {
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  hide_secret_arguments(static_cast<int>(argv.size()), argv.data());
  return arguments;
}

}  // namespace

TEST_CASE("argv secrets: passwords and URI PINs are overwritten, nothing else") {
  const std::vector<std::string> command_line = {
      "--pkcs8-password",  // argv[0] is the command's name, never looked at
      "--pkcs8-password",
      "hunter2",
      "--tpm-key-password=tpm-pass",
      "--certificate",
      "pkcs11:token=HSM;object=host?pin-value=1234",
      "--private-key=pkcs11:token=HSM;object=host;pin-va lue=5678",
      "PKCS11:object=stray?pin-value=999",
      "--role-arn",
      "arn:aws:iam::123456789012:role/pin-value=1",
      "--tpm-key-password"};  // last: no value to blank
  CHECK(blanked(command_line) ==
        std::vector<std::string>{
            "--pkcs8-password", "--pkcs8-password", "*******", "--tpm-key-password=********",
            "--certificate", "pkcs11:token=HSM;object=host?pin-value=****",
            "--private-key=pkcs11:token=HSM;object=host;pin-va lue=****",
            "PKCS11:object=stray?pin-value=***", "--role-arn",
            "arn:aws:iam::123456789012:role/pin-value=1", "--tpm-key-password"});
  // What is blanked stays blanked: a second pass changes nothing.
  CHECK(blanked(blanked(command_line)) == blanked(command_line));
}

TEST_CASE("argv secrets: a password flag given twice still blanks the password after it") {
  // cxxopts reads the second flag as the first's value and leaves the password stray; what
  // follows a password flag is decided on the text before anything was blanked.
  CHECK(blanked({"credential-process", "--pkcs8-password", "--pkcs8-password", "hunter2"}) ==
        std::vector<std::string>{"credential-process", "--pkcs8-password", "****************",
                                 "*******"});
  CHECK(blanked({"serve", "--tpm-key-password", "--pkcs8-password", "hunter2", "--port"}) ==
        std::vector<std::string>{"serve", "--tpm-key-password", "****************", "*******",
                                 "--port"});
}

TEST_CASE("argv secrets: a message shows an argument with what argv loses hidden") {
  CHECK(shown_argument("--pkcs8-password=hunter2") == "--pkcs8-password=<hidden>");
  CHECK(shown_argument("--private-key=pkcs11:object=k;pin-value=1234") ==
        "--private-key=pkcs11:object=k;pin-value=<hidden>");
  CHECK(shown_argument("pkcs11:object=x;pin-va lue=1234") == "pkcs11:object=x;pin-va lue=<hidden>");
  CHECK(shown_argument("plain-argument") == "plain-argument");
  CHECK(shown_argument("--certificate=/etc/pki/cert.pem") == "--certificate=/etc/pki/cert.pem");
}

TEST_CASE("argv secrets: a flag's '=' form mistyped with one or three dashes still hides") {
  // After "--" an argument is shown whole in the stray-argument error: the typo carries the
  // password or PIN all the same (found by fuzz/argv_blanking_fuzz.cpp).
  CHECK(shown_argument("-pkcs8-password=hunter2") == "-pkcs8-password=<hidden>");
  CHECK(shown_argument("---tpm-key-password=hunter2") == "---tpm-key-password=<hidden>");
  CHECK(shown_argument("-private-key=pkcs11:object=k;pin-value=1234") ==
        "-private-key=pkcs11:object=k;pin-value=<hidden>");
  CHECK(shown_argument("-x-pkcs8-password=visible") == "-x-pkcs8-password=visible");
  // Pasted from a document (an em dash), or with the dashes forgotten.
  CHECK(shown_argument("\xe2\x80\x94pkcs8-password=hunter2") ==
        "\xe2\x80\x94pkcs8-password=<hidden>");
  CHECK(shown_argument("private-key=pkcs11:object=k;pin-value=1234") ==
        "private-key=pkcs11:object=k;pin-value=<hidden>");
  CHECK(blanked({"credential-process", "-pkcs8-password", "hunter2"}) ==
        std::vector<std::string>{"credential-process", "-pkcs8-password", "*******"});
  CHECK(blanked({"credential-process", "--", "-pkcs8-password=hunter2",
                 "-private-key=pkcs11:object=k;pin-value=1234"}) ==
        std::vector<std::string>{"credential-process", "--", "-pkcs8-password=*******",
                                 "-private-key=pkcs11:object=k;pin-value=****"});
}

TEST_CASE("argv secrets: a stray argument after a password flag is hidden whole") {
  using rolesanywhere::cli::shown_stray_argument;
  const char* const argv[] = {"rolesanywhere-helper",
                              "credential-process",
                              "--certificate",
                              "--pkcs8-password",
                              "hunter2",
                              "extra"};
  CHECK(shown_stray_argument("hunter2", 6, argv) == "<hidden>");
  CHECK(shown_stray_argument("extra", 6, argv) == "extra");
  CHECK(shown_stray_argument("--pkcs8-password=x", 6, argv) == "--pkcs8-password=<hidden>");
}
