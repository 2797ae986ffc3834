// The CLI's argv blanking (src/cli/argv_secrets.cpp): what ps and /proc/PID/cmdline show of a
// command line once cxxopts has read it, and what parse_or_help's messages show of it.
//
// Input: the arguments of a subcommand, separated by NUL (an argument cannot hold one); the first
// is its argv[0]. Flags are read by cxxopts with credential-process's identity, session and
// debug flags (command_line.cpp's definitions, built without regex as the helper is).
//
// Invariants, for hide_secret_arguments:
//   1. as many arguments, each as long as it was; argv[0] unchanged; a changed byte is now '*';
//   2. nothing changes but the argument after --pkcs8-password or --tpm-key-password, the value of
//      -pkcs8-password=/-tpm-key-password=, and a pkcs11: URI given alone or after an argument's
//      first '=' (only the text after the '=' for the latter two); a flag's dashes may be any
//      number of '-', en or em dashes (a typo or a paste still carries the password);
//   3. cxxopts reading the blanked argv (when it still parses) finds each password it read in the
//      original gone or made of '*' only, and each URI flag's value without the PIN p11-kit
//      reads from the original (p11-kit reads no PIN from it, or one of '*' only); so does every
//      URI argument;
//   4. a second pass changes nothing; the argument after a password flag (whatever it is) and
//      the value of a password flag's '=' form are all '*';
// and for parse_or_help:
//   5. an error message never shows a password or PIN of the command line: the value of a
//      -pkcs8-password= or -tpm-key-password= argument (any dashes), a password cxxopts read, or
//      a PIN p11-kit reads from an argument or from its text after the first '='.
//      A message "shows" a secret when it holds it and the message for the command line with the
//      secret replaced by other characters in its own argument does not (fuzz::shows_secret);
//   6. it leaves argv as hide_secret_arguments does, whether the command line parses or not;
//   7. when it accepts the command line, no flag holds as its value what a message would hide
//      (but a password flag, and an identity flag given a URI).
#include "cli/argv_secrets.hpp"
#include "cli/command_line.hpp"
#include "fuzz_support.hpp"
#include "pkcs11/p11_api.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/pkcs11.hpp"

#include <cxxopts.hpp>

#include <algorithm>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace rolesanywhere;
using namespace rolesanywhere::pkcs11_detail;

namespace {

using Arguments = std::vector<std::string>;

constexpr std::string_view kSecretFlags[] = {"--pkcs8-password", "--tpm-key-password"};
constexpr const char* kSecretNames[] = {"pkcs8-password", "tpm-key-password"};
constexpr const char* kUriNames[] = {"certificate", "private-key", "intermediates"};

Arguments split_arguments(std::string_view input) {
  Arguments arguments;
  std::size_t at = 0;
  while (true) {
    const std::size_t nul = input.find('\0', at);
    arguments.emplace_back(input.substr(at, nul - at));
    if (nul == std::string_view::npos) return arguments;
    at = nul + 1;
  }
}

// Pointers into `arguments`, as argv: the strings are written through them.
std::vector<char*> argv_of(Arguments& arguments) {
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  return argv;
}

Arguments blanked(Arguments arguments) {
  std::vector<char*> argv = argv_of(arguments);
  cli::hide_secret_arguments(static_cast<int>(arguments.size()), argv.data());
  return arguments;
}

std::string show(const Arguments& arguments) {
  std::string out;
  for (const std::string& argument : arguments) {
    out += out.empty() ? "[" : ", ";
    out += '"';
    for (const char c : argument.substr(0, 200))
      out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    out += '"';
  }
  return out + "]";
}

cxxopts::Options credential_process_options() {
  cxxopts::Options options("rolesanywhere-helper credential-process");
  cli::add_identity_flags(options, cli::FlagSet::kCredentials);
  cli::add_session_flags(options);
  cli::add_debug_flag(options);
  return options;
}

std::optional<cxxopts::ParseResult> read_flags(Arguments arguments) {
  std::vector<char*> argv = argv_of(arguments);
  cxxopts::Options options = credential_process_options();
  try {
    return options.parse(static_cast<int>(arguments.size()), argv.data());
  } catch (const cxxopts::exceptions::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> value_of(const cxxopts::ParseResult& result, const char* name) {
  if (!result.count(name)) return std::nullopt;
  return result[name].as<std::string>();
}

// The PIN p11-kit reads from `text` (nullopt: none, or p11-kit is not installed).
std::optional<std::string> p11_kit_pin(const std::string& text) {
  try {
    const P11KitApi& api = p11_kit();
    std::unique_ptr<p11_kit_uri, void (*)(p11_kit_uri*)> uri(api.uri_new(), api.uri_free);
    if (!uri || api.uri_parse(text.c_str(), P11_KIT_URI_FOR_ANY, uri.get()) != P11_KIT_URI_OK)
      return std::nullopt;
    if (const char* pin = api.uri_get_pin_value(uri.get())) return std::string(pin);
  } catch (const Error&) {
  }
  return std::nullopt;
}

bool all_stars(std::string_view text) { return text.find_first_not_of('*') == std::string::npos; }

// What p11-kit reads from a blanked text that had `pin` is no PIN, or one of '*' only.
bool pin_gone(const std::string& blanked_text, const std::optional<std::string>& pin) {
  if (!pin || pin->empty()) return true;
  const std::optional<std::string> left = p11_kit_pin(blanked_text);
  return !left || all_stars(*left);
}

// The text after the first '=' of an argument, or nullopt.
std::optional<std::string> after_equals(const std::string& argument) {
  const std::size_t equals = argument.find('=');
  if (equals == std::string::npos) return std::nullopt;
  return argument.substr(equals + 1);
}

// Where a flag's name starts after its dashes: '-', and the en and em dashes a pasted command
// line may carry, any number of them (a typo still carries the password); 0 without any.
std::size_t name_start(std::string_view argument) {
  std::size_t at = 0;
  for (bool more = true; more;) {
    more = false;
    for (std::string_view dash : {"-", "\xe2\x80\x93", "\xe2\x80\x94"})
      if (argument.substr(at).starts_with(dash)) {
        at += dash.size();
        more = true;
      }
  }
  return at;
}

bool is_secret_name(std::string_view name) {
  for (const char* secret_name : kSecretNames)
    if (name == secret_name) return true;
  return false;
}

// --pkcs8-password or --tpm-key-password written with any dashes.
bool is_password_flag(std::string_view argument) {
  const std::size_t name = name_start(argument);
  return name > 0 && is_secret_name(argument.substr(name));
}

// Where the value of a password flag's '=' form starts in `argument` ("-pkcs8-password=X" or
// "---tpm-key-password=X"), or npos.
std::size_t password_value_at(const std::string& argument) {
  const std::size_t equals = argument.find('=');
  const std::size_t name = name_start(argument);
  if (name == 0 || equals == std::string::npos || name > equals) return std::string::npos;
  return is_secret_name(std::string_view(argument).substr(name, equals - name)) ? equals + 1
                                                                                : std::string::npos;
}

// Where an argument may change (from this offset on), or npos when it must stay as it is.
std::size_t may_change_from(const Arguments& original, std::size_t i) {
  const std::string& argument = original[i];
  // The argument after either password flag is the password whole, whatever it looks like
  // ("--tpm-key-password --pkcs8-password=X" included): checked before the '=' forms.
  if (i >= 2 && is_password_flag(original[i - 1])) return 0;
  if (const std::size_t value = password_value_at(argument); value != std::string::npos)
    return value;
  if (is_pkcs11_uri(argument)) return 0;
  if (const auto value = after_equals(argument); value && is_pkcs11_uri(*value))
    return argument.size() - value->size();
  return std::string::npos;
}

void check_blanking(const Arguments& original, const Arguments& result) {
  const std::string context = show(original) + " became " + show(result);
  fuzz::check(result.size() == original.size(), "as many arguments", context);
  fuzz::check(result[0] == original[0], "argv[0] is unchanged", context);
  for (std::size_t i = 1; i < original.size(); ++i) {
    fuzz::check(result[i].size() == original[i].size(), "every argument keeps its length", context);
    const std::size_t from = may_change_from(original, i);
    for (std::size_t at = 0; at < original[i].size(); ++at) {
      if (result[i][at] == original[i][at]) continue;
      fuzz::check(result[i][at] == '*', "a changed byte is now '*'", context);
      fuzz::check(from != std::string::npos && at >= from,
                  "only a password or a URI's PIN changes, nothing else", context);
    }
  }
  fuzz::check(blanked(result) == result, "a second pass changes nothing", context);
  // What must change: the whole argument after a password flag, whatever it is (another password
  // flag included), and a --pkcs8-password=/--tpm-key-password= value.
  for (std::size_t i = 2; i < original.size(); ++i)
    if (is_password_flag(original[i - 1]))
      fuzz::check(all_stars(result[i]), "the argument after a password flag is blanked whole",
                  context);
  for (std::size_t i = 1; i < original.size(); ++i)
    if (const std::size_t value = password_value_at(original[i]); value != std::string::npos)
      fuzz::check(all_stars(std::string_view(result[i]).substr(value)),
                  "a password flag's value after '=' is blanked", context);

  // Every URI argument, alone or after an argument's first '=', loses the PIN p11-kit reads
  // from it.
  for (std::size_t i = 1; i < original.size(); ++i) {
    if (is_pkcs11_uri(original[i])) {
      fuzz::check(pin_gone(result[i], p11_kit_pin(original[i])),
                  "a URI argument's PIN is gone from argv", context);
      continue;
    }
    const auto value = after_equals(original[i]);
    if (value && is_pkcs11_uri(*value))
      fuzz::check(pin_gone(*after_equals(result[i]), p11_kit_pin(*value)),
                  "a --name=URI argument's PIN is gone from argv", context);
  }

  // What cxxopts reads from both.
  const std::optional<cxxopts::ParseResult> before = read_flags(original);
  if (!before) return;
  // Blanking may take a flag away (one cxxopts read as a value, after a literal
  // "--pkcs8-password"), so that the blanked argv no longer parses: nothing to compare then.
  const std::optional<cxxopts::ParseResult> after = read_flags(result);
  if (!after) return;
  for (const char* name : kSecretNames) {
    const std::optional<std::string> password = value_of(*before, name);
    if (!password || password->empty()) continue;
    const std::optional<std::string> left = value_of(*after, name);
    // Of '*' only, not always as many: "--tpm-key-password --pkcs8-password --tpm-key-password=x"
    // blanks the third argument whole (it follows a password flag), so the blanked argv gives
    // --tpm-key-password twenty stars where cxxopts read "x".
    fuzz::check(!left || all_stars(*left), "a password cxxopts read is gone from argv",
                context + " (--" + name + ")");
  }
  for (const char* name : kUriNames) {
    const std::optional<std::string> value = value_of(*before, name);
    if (!value || !is_pkcs11_uri(*value)) continue;
    const std::optional<std::string> left = value_of(*after, name);
    fuzz::check(!left || pin_gone(*left, p11_kit_pin(*value)),
                "the PIN of a URI cxxopts read is gone from argv", context + " (--" + name + ")");
  }
}

// parse_or_help's error for the command line, or "" when it has none. However it ends, it leaves
// argv blanked as hide_secret_arguments does (invariant 6).
std::string parse_error(const Arguments& original) {
  Arguments arguments = original;
  std::vector<char*> argv = argv_of(arguments);
  cxxopts::Options options = credential_process_options();
  std::string message;
  std::optional<cxxopts::ParseResult> accepted;  // none on an error, and for --help
  try {
    accepted = cli::parse_or_help(options, static_cast<int>(arguments.size()), argv.data());
  } catch (const Error& error) {
    message = error.what();
  }
  fuzz::check(arguments == blanked(original), "argv is blanked however the parse ends",
              show(original) + " became " + show(arguments) +
                  (message.empty() ? "" : " with the error: " + message));
  // Accepted (not an error, nor --help, which runs nothing): no flag took for its value what
  // messages hide (later checks would show it), but a password flag, or an identity flag given a
  // URI.
  if (accepted)
    for (const cxxopts::KeyValue& flag : accepted->arguments()) {
      const bool takes_secret =
          is_secret_name(flag.key()) || (std::find(std::begin(kUriNames), std::end(kUriNames),
                                                   flag.key()) != std::end(kUriNames) &&
                                         is_pkcs11_uri(flag.value()));
      fuzz::check(takes_secret || cli::shown_argument(flag.value()) == flag.value(),
                  "an accepted flag's value holds nothing a message hides",
                  show(original) + ": --" + flag.key());
    }
  return message;
}

// A secret of the command line: the argument it is in, and from where (after a flag's '=').
struct Secret {
  std::size_t argument;
  std::size_t from;
  std::string text;
};

std::vector<Secret> secrets_of(const Arguments& original) {
  std::vector<Secret> secrets;
  for (std::size_t i = 1; i < original.size(); ++i) {
    const std::string& argument = original[i];
    // -pkcs8-password=VALUE with any dashes: a typo still carries the password.
    if (const std::size_t value = password_value_at(argument); value != std::string::npos)
      secrets.push_back({i, value, argument.substr(value)});
    // A PIN p11-kit reads from the text after the first '=', whatever comes before it.
    if (const auto value = after_equals(argument))
      if (auto pin = p11_kit_pin(*value))
        secrets.push_back({i, argument.size() - value->size(), *pin});
    if (auto pin = p11_kit_pin(argument)) secrets.push_back({i, 0, *pin});
  }
  // The passwords cxxopts read, in the arguments it read them from.
  if (const std::optional<cxxopts::ParseResult> flags = read_flags(original))
    for (std::size_t k = 0; k < std::size(kSecretNames); ++k)
      if (auto password = value_of(*flags, kSecretNames[k]))
        for (std::size_t i = 2; i < original.size(); ++i)
          if (original[i - 1] == kSecretFlags[k] && original[i] == *password)
            secrets.push_back({i, 0, *password});
  return secrets;
}

void check_messages(const Arguments& original) {
  const std::string message = parse_error(original);
  if (message.empty()) return;
  for (const Secret& secret : secrets_of(original)) {
    if (secret.text.empty() || message.find(secret.text) == std::string::npos) continue;
    // Replaced where it is written, once: the same text elsewhere (a flag's name, an account
    // number or a token label holding the PIN's digits) may be shown.
    const std::string& argument = original[secret.argument];
    const std::string_view region = std::string_view(argument).substr(secret.from);
    if (fuzz::count_occurrences(region, secret.text) != 1) continue;
    Arguments without = original;
    without[secret.argument] =
        argument.substr(0, secret.from) + fuzz::replaced(region, secret.text);
    fuzz::check(!fuzz::shows_secret(message, secret.text, parse_error(without)),
                "a message never shows a password or PIN of the command line",
                "secret \"" + secret.text + "\" of argument " + std::to_string(secret.argument) +
                    " in: " + message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // --help prints the flags on stdout: nothing to see there.
  std::cout.rdbuf(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Arguments original = split_arguments(fuzz::as_text(data, size));
  check_blanking(original, blanked(original));
  check_messages(original);
  return 0;
}
