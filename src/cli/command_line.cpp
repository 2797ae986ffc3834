#include "command_line.hpp"

#include "argv_secrets.hpp"
#include "command_flags.hpp"
#include "flag_labels.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/pkcs11.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace rolesanywhere::cli {

namespace {

// Flags of parts that are not built yet (OS certificate stores). They are
// accepted so that a copied aws_signing_helper command line parses, then refused clearly.
struct UnsupportedFlag {
  const char* name;
  const char* what;
};
constexpr UnsupportedFlag kCredentialStoreFlags[] = {
    {"cert-selector", "OS certificate stores"},
    {"system-store-name", "OS certificate stores"},
    {"use-latest-expiring-certificate", "OS certificate stores"},
};

bool flag_in_set(std::string_view name, FlagSet set) {
  if (set == FlagSet::kReadCertificate)
    return name == "cert-selector" || name == "system-store-name";
  return true;
}

// cxxopts names an option or argument inside typographic quotes: "Option ‘bogus’ does not exist".
constexpr std::string_view kOpenQuote = "\u2018", kCloseQuote = "\u2019";

std::string quoted_name(std::string_view message) {
  const std::string_view open = kOpenQuote, close = kCloseQuote;
  auto begin = message.find(open);
  auto end = message.find(close, begin == std::string_view::npos ? 0 : begin);
  if (begin == std::string_view::npos || end == std::string_view::npos) return std::string(message);
  begin += open.size();
  return std::string(message.substr(begin, end - begin));
}

// cxxopts's message with each argument it quotes shown as messages show arguments.
std::string shown_quotes(std::string_view message) {
  const std::string_view open = kOpenQuote, close = kCloseQuote;
  std::string shown;
  while (true) {
    const std::size_t begin = message.find(open);
    const std::size_t end =
        begin == std::string_view::npos ? begin : message.find(close, begin + open.size());
    if (end == std::string_view::npos) return shown.append(message);
    shown.append(message.substr(0, begin + open.size()))
        .append(shown_argument(message.substr(begin + open.size(), end - begin - open.size())))
        .append(close);
    message.remove_prefix(end + close.size());
  }
}

// A flag missing its value takes the next argument for it: "--role-arn --pkcs8-password=X" (an
// unset shell variable) reads "--pkcs8-password=X" as the role ARN, and the ARN's message would
// show the password. Refused here, the value shown as messages show arguments. A URI given to an
// identity flag and a password flag's own value are what those flags take.
void refuse_secret_taken_as_value(const cxxopts::ParseResult& result) {
  for (const cxxopts::KeyValue& flag : result.arguments()) {
    const std::string& key = flag.key();
    const std::string& value = flag.value();
    if (is_secret_flag_name(key)) continue;
    if ((key == "certificate" || key == "private-key" || key == "intermediates") &&
        is_pkcs11_uri(value))
      continue;
    if (const std::string shown = shown_argument(value); shown != value)
      throw Error(
          Error::Kind::kInvalidArgument,
          "--" + key + " took '" + shown + "' for its value: is the value before it missing?");
  }
}

void read_tpm_key_password(const cxxopts::ParseResult& result, IdentitySource& source) {
  source.no_tpm_key_password = result.count("no-tpm-key-password") > 0;
  if (result.count("tpm-key-password")) {
    if (source.no_tpm_key_password)
      throw Error(Error::Kind::kInvalidArgument,
                  "--tpm-key-password and --no-tpm-key-password contradict each other; give one");
    source.tpm_key_password = SecretString(result["tpm-key-password"].as<std::string>());
  }
}

int parse_duration(const std::string& text) {
  // The range (900-43200) is checked with the other CreateSession parameters.
  return parse_int_flag("session-duration", text, INT_MIN, INT_MAX,
                        "a whole number of seconds (900-43200)");
}

std::string optional_string(const cxxopts::ParseResult& result, const char* name) {
  return result.count(name) ? result[name].as<std::string>() : std::string();
}

}  // namespace

int parse_int_flag(std::string_view flag, const std::string& text, int min, int max,
                   std::string_view expected) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max)
    throw Error(Error::Kind::kInvalidArgument, "--" + std::string(flag) + " " +
                                                   (text.empty() ? "''" : text) + ": must be " +
                                                   std::string(expected));
  return value;
}

void add_identity_flags(cxxopts::Options& options, FlagSet set) {
  auto add = options.add_options("Identity");
  add("certificate",
      "Path to certificate file (PEM or DER; or a PKCS#12 file), env:NAME (PEM or base64 DER in "
      "that environment variable, removed from the environment once read) or fd:N (read once "
      "from that inherited file descriptor), or a pkcs11: URI of a certificate on a token. A "
      "certificate given by env: or fd: is not watched for renewal",
      cxxopts::value<std::string>(), "FILE");
  if (set != FlagSet::kReadCertificate) {
    add("private-key",
        "Path to private key file (PEM or DER; PKCS#1, SEC1, PKCS#8, PKCS#12), env:NAME or fd:N "
        "(as for --certificate), a pkcs11: URI of a key on a token, or a TPM key: a TSS2 key "
        "file or handle:0x81xxxxxx",
        cxxopts::value<std::string>(), "FILE");
    add("pkcs8-password", "Password for an encrypted PKCS#8 or PKCS#12 private key",
        cxxopts::value<std::string>(), "PASSWORD");
  }
  if (set == FlagSet::kCredentials)
    add("intermediates",
        "Path to intermediate certificate bundle file (PEM), or env:NAME or fd:N (as for "
        "--certificate)",
        cxxopts::value<std::string>(), "FILE");
  add("cert-selector", "Certificate store selector (not supported on this platform yet)",
      cxxopts::value<std::string>(), "SELECTOR");
  add("system-store-name", "Windows system store name (not supported on this platform)",
      cxxopts::value<std::string>()->default_value("MY"), "NAME");
  if (set != FlagSet::kReadCertificate)
    add("use-latest-expiring-certificate",
        "Pick the latest-expiring certificate among matches (not supported yet)");
  add("pkcs11-lib",
      "PKCS#11 module for pkcs11: URIs (default: p11-kit-proxy, which offers every module "
      "registered with p11-kit)",
      cxxopts::value<std::string>(), "FILE");
  if (set != FlagSet::kReadCertificate) {
    add("reuse-pin",
        "Answer the PIN request of a PKCS#11 key with CKA_ALWAYS_AUTHENTICATE with the user PIN "
        "instead of asking");
    add("tpm-key-password",
        "Password (authorization value) of a TPM key; asked on the terminal when the key has one "
        "and this is not given",
        cxxopts::value<std::string>(), "PASSWORD");
    add("no-tpm-key-password",
        "The TPM key has no password: needed for a handle:, whose password is otherwise asked");
  }
}

void add_session_flags(cxxopts::Options& options) {
  options.add_options("Session")                                                              //
      ("role-arn", "Target role to assume", cxxopts::value<std::string>(), "ARN")             //
      ("profile-arn", "Profile to pull policies from", cxxopts::value<std::string>(), "ARN")  //
      ("trust-anchor-arn", "Trust anchor to use for authentication", cxxopts::value<std::string>(),
       "ARN")  //
      ("session-duration", "Duration, in seconds, for the resulting session (900-43200)",
       cxxopts::value<std::string>()->default_value("3600"), "SECONDS")  //
      ("role-session-name", "An identifier of a role session", cxxopts::value<std::string>(),
       "NAME")  //
      ("region", "Signing region (default: the trust anchor ARN's)", cxxopts::value<std::string>(),
       "REGION")                                                                                 //
      ("endpoint", "Endpoint used to call CreateSession", cxxopts::value<std::string>(), "URL")  //
      ("no-verify-ssl", "To disable SSL verification")                                           //
      ("with-proxy", "To make the CreateSession call with a proxy (from the environment)");
}

void add_debug_flag(cxxopts::Options& options) {
  options.add_options("Output")("debug", "Explain what was loaded and sent, secrets redacted")  //
      ("h,help", "Show this help");
}

IdentityFlags read_identity_flags(const cxxopts::ParseResult& result, FlagSet set) {
  IdentityFlags flags;
  IdentitySource& source = flags.source;
  // Every name, whichever flags `set` has: the messages read as they always have.
  source.labels = identity_labels();
  source.certificate = optional_string(result, "certificate");
  if (set != FlagSet::kReadCertificate) {
    source.private_key = optional_string(result, "private-key");
    if (result.count("pkcs8-password"))
      source.key_password = SecretString(result["pkcs8-password"].as<std::string>());
  }
  if (set == FlagSet::kCredentials) source.intermediates = optional_string(result, "intermediates");
  source.pkcs11_module = optional_string(result, "pkcs11-lib");
  if (set != FlagSet::kReadCertificate) {
    source.reuse_pin = result.count("reuse-pin") > 0;
    read_tpm_key_password(result, source);
  }
  for (const auto& flag : kCredentialStoreFlags) {
    // count() is 0 for a flag left at its default, so --system-store-name's "MY" is no use.
    if (flag_in_set(flag.name, set) && result.count(flag.name))
      flags.unsupported_flags_given.push_back(std::string("--") + flag.name + " (" + flag.what +
                                              ")");
  }
  return flags;
}

CreateSessionParams read_session_flags(const cxxopts::ParseResult& result) {
  CreateSessionParams params;
  params.labels = session_labels();
  params.trust_anchor_arn = optional_string(result, "trust-anchor-arn");
  params.profile_arn = optional_string(result, "profile-arn");
  params.role_arn = optional_string(result, "role-arn");
  params.duration_seconds = parse_duration(result["session-duration"].as<std::string>());
  if (result.count("role-session-name"))
    params.role_session_name = result["role-session-name"].as<std::string>();
  if (result.count("region")) params.region = result["region"].as<std::string>();
  if (result.count("endpoint")) params.endpoint = result["endpoint"].as<std::string>();
  return params;
}

TransportOptions read_transport_flags(const cxxopts::ParseResult& result) {
  TransportOptions transport;
  transport.verify_tls = result.count("no-verify-ssl") == 0;
  transport.use_proxy = result.count("with-proxy") > 0;
  // The AWS CLI and SDKs honour AWS_CA_BUNDLE for the service's TLS; so do we.
  if (const char* bundle = std::getenv("AWS_CA_BUNDLE"); bundle && *bundle) {
    // Checked here so the message names the variable; libcurl would only say it could not
    // set a certificate file, after three attempts.
    if (::access(bundle, R_OK) != 0)
      throw Error(Error::Kind::kInput,
                  std::string("AWS_CA_BUNDLE ") + bundle + ": " + std::strerror(errno) +
                      " (it must name a readable PEM file of CA certificates)");
    transport.ca_bundle = bundle;
  }
  return transport;
}

std::optional<cxxopts::ParseResult> parse_or_help(cxxopts::Options& options, int argc,
                                                  char** argv) {
  // The completion generator reading this command's flags: like --help, nothing runs.
  if (FlagCapture::offer(options)) return std::nullopt;
  try {
    // argv is blanked however this ends, a malformed command line included: its password or PIN
    // must not stay readable in /proc/PID/cmdline while the error is printed.
    const HideSecretArgumentsOnExit hide_on_exit(argc, argv);
    auto result = options.parse(argc, argv);
    // Read before argv is blanked: a URI given without its flag (or after "--", as --name=URI)
    // still hides its PIN, a --pkcs8-password=VALUE after "--" its value, and the argument
    // after a password flag that another flag took as its value hides whole.
    const std::optional<std::string> stray =
        result.unmatched().empty()
            ? std::nullopt
            : std::optional(shown_stray_argument(result.unmatched().front(), argc, argv));
    if (result.count("help")) {
      hide_secret_arguments(argc, argv);  // before the help is written, which may wait on a pipe
      std::cout << options.help() << std::flush;
      return std::nullopt;
    }
    if (stray)
      throw Error(Error::Kind::kInvalidArgument,
                  "unexpected argument '" + *stray + "' (flags take the form --name value)");
    refuse_secret_taken_as_value(result);
    return result;
  } catch (const cxxopts::exceptions::no_such_option& e) {
    throw Error(Error::Kind::kInvalidArgument,
                "unknown flag --" + quoted_name(e.what()) + "; see --help for the flags");
  } catch (const cxxopts::exceptions::invalid_option_syntax& e) {
    // cxxopts quotes the whole argument, whose value may be a password or a URI with its PIN
    // ("---pkcs8-password=x", "-p=pkcs11:...;pin-value=x", "--pkcs8-password x" as one
    // argument): its dashes and name are enough to spot the typo.
    const std::string argument = quoted_name(e.what());
    const std::size_t name_end = argument.find_first_not_of(
        "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    throw Error(Error::Kind::kInvalidArgument,
                "malformed flag '" + argument.substr(0, name_end) +
                    "' (flags take the form --name value or --name=value)");
  } catch (const cxxopts::exceptions::missing_argument& e) {
    throw Error(Error::Kind::kInvalidArgument, "--" + quoted_name(e.what()) + " needs a value");
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    // A switch given a value (--debug=VALUE): cxxopts's message quotes the value alone.
    throw Error(Error::Kind::kInvalidArgument,
                "cannot read the value '" + shown_argument(quoted_name(e.what())) +
                    "' (a switch such as --debug takes none; see --help for the flags)");
  } catch (const cxxopts::exceptions::exception& e) {
    throw Error(Error::Kind::kInvalidArgument, shown_quotes(e.what()));
  }
}

}  // namespace rolesanywhere::cli
