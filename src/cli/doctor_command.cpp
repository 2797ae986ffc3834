// doctor: why IAM Roles Anywhere would refuse this certificate, chain, trust anchor, ARNs or
// clock, said before asking it (and, with --online, after). Takes credential-process's flags;
// also checks the credential_process lines of the AWS config file that run this helper.
// Exit status: 0 when nothing is a problem, 1 when something is, 2 on a usage error.
#include "command_line.hpp"
#include "commands.hpp"
#include "doctor_report.hpp"
#include "identity_source.hpp"
#include "output.hpp"
#include "provider_flags.hpp"

#include "rolesanywhere/doctor_run.hpp"
#include "rolesanywhere/error.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

namespace rolesanywhere::cli {

namespace {

constexpr int kUsageError = 2;

constexpr const char* kProxyVariables[] = {"https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy",
                                           "ALL_PROXY",   "no_proxy",    "NO_PROXY"};

void add_doctor_flags(cxxopts::Options& options) {
  options.add_options("Doctor")  //
      ("trust-anchor-certificate",
       "The CA certificate(s) registered in the trust anchor (PEM): the chain is checked against "
       "them",
       cxxopts::value<std::string>())  //
      ("crl", "A CRL imported into the trust anchor (PEM or DER): checks revocation",
       cxxopts::value<std::string>())  //
      ("online",
       "Also make one real CreateSession: says whether credentials are issued (never showing "
       "them) or explains the refusal, and compares the clock with the service's")  //
      ("format", "Output: text (for people) or json (one object per check with a stable id)",
       cxxopts::value<std::string>()->default_value("text"));
}

doctor::Labels doctor_labels() {
  doctor::Labels labels;
  labels.certificate = "--certificate";
  labels.private_key = "--private-key";
  labels.intermediates = "--intermediates";
  labels.trust_anchor_certificate = "--trust-anchor-certificate";
  labels.crl = "--crl";
  labels.trust_anchor_arn = "--trust-anchor-arn";
  labels.profile_arn = "--profile-arn";
  labels.role_arn = "--role-arn";
  labels.region = "--region";
  labels.endpoint = "--endpoint";
  labels.session_duration = "--session-duration";
  labels.online = "--online";
  labels.with_proxy = "--with-proxy";
  labels.no_verify_ssl = "--no-verify-ssl";
  return labels;
}

std::string optional_flag(const cxxopts::ParseResult& result, const char* name) {
  return result.count(name) ? result[name].as<std::string>() : std::string();
}

// The identity, session and transport flags as credential-process reads them. A usage error
// (a value that cannot be parsed) is thrown; a key source this build lacks and an unreadable
// AWS_CA_BUNDLE are findings instead, so the rest is still checked.
doctor::DoctorOptions read_doctor_options(const cxxopts::ParseResult& result) {
  doctor::DoctorOptions options;
  options.labels = doctor_labels();
  options.debug = stderr_debug_sink(result.count("debug") > 0);
  IdentityFlags identity_flags = read_identity_flags(result, FlagSet::kCredentials);
  options.session = read_session_flags(result);
  try {
    options.transport = read_transport_flags(result);
  } catch (const Error& error) {
    if (error.kind() == Error::Kind::kInvalidArgument) throw;
    // AWS_CA_BUNDLE cannot be read: env.ca_bundle says so; the rest as the flags say.
    options.transport.verify_tls = result.count("no-verify-ssl") == 0;
    options.transport.use_proxy = result.count("with-proxy") > 0;
  }
  try {
    options.identity = identity_source(std::move(identity_flags));
  } catch (const Error& error) {
    if (error.kind() == Error::Kind::kInvalidArgument) throw;
    options.identity_refused = error.what();
  }
  options.trust_anchor_certificate = optional_flag(result, "trust-anchor-certificate");
  options.crl = optional_flag(result, "crl");
  options.online = result.count("online") > 0;
  for (const char* name : kProxyVariables)
    if (const char* value = std::getenv(name); value && *value)
      options.environment.proxy_variables.emplace_back(name, value);
  if (const char* bundle = std::getenv("AWS_CA_BUNDLE"); bundle && *bundle)
    options.aws_ca_bundle = bundle;
  return options;
}

std::string config_file_path() {
  if (const char* path = std::getenv("AWS_CONFIG_FILE"); path && *path) return path;
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.aws/config";
  return "";
}

// A credential_process line's flags, read as credential-process reads them; flags of its own
// (--cache) are left aside. Never prompts: a password or PIN it would need is a finding.
doctor::Findings check_configured_process(const doctor::ConfiguredProcess& process,
                                          const SystemClock& clock) {
  cxxopts::Options options("rolesanywhere-helper credential-process", "");
  add_provider_flags(options);
  options.allow_unrecognised_options();
  std::vector<std::string> words(process.words.begin() + 1, process.words.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  try {
    const auto result = options.parse(static_cast<int>(argv.size()), argv.data());
    doctor::DoctorOptions run = read_doctor_options(result);
    run.identity.ask_password = {};
    run.identity.ask_pin = {};
    run.debug = {};
    run.check_environment = false;
    run.online = false;
    return doctor::run_doctor(std::move(run), clock);
  } catch (const cxxopts::exceptions::exception& error) {
    return {{"flags", doctor::Verdict::kProblem,
             std::string("its flags do not parse: ") + error.what(), ""}};
  } catch (const Error& error) {
    return {{"flags", doctor::Verdict::kProblem, error.what(), ""}};
  }
}

// env.config: one finding for each profile whose credential_process runs this helper.
doctor::Findings check_config_file(const SystemClock& clock) {
  const std::string path = config_file_path();
  if (path.empty()) return {};
  const doctor::ConfigFile config = doctor::read_config_file(path);
  if (!config.found) return {};
  if (!config.error.empty())
    return {{"env.config", doctor::Verdict::kWarning, config.error,
             "make it readable, or point AWS_CONFIG_FILE elsewhere"}};
  const doctor::AwsConfig& contents = config.contents;
  doctor::Findings findings;
  // The AWS CLI reads none of the file, this helper's profiles included; they are still checked
  // below as they will read once the file is mended.
  if (!contents.refusal.empty())
    findings.push_back({"env.config", doctor::Verdict::kProblem,
                        path +
                            ": the AWS CLI cannot read this file, so every aws command fails "
                            "with \"Unable to parse config file\": " +
                            contents.refusal,
                        contents.refusal_remedy});
  const std::size_t before_profiles = findings.size();
  for (const doctor::ConfiguredProcess& process : contents.processes) {
    if (!process.split_error.empty()) {
      findings.push_back(
          {"env.config", doctor::Verdict::kProblem,
           "profile " + process.profile + " (" + path +
               "): its credential_process cannot be split into words: " + process.split_error,
           process.split_remedy});
      continue;
    }
    if (!doctor::runs_this_helper(process.words)) continue;
    findings.push_back(
        doctor::summarize_profile(process.profile, path, check_configured_process(process, clock)));
  }
  if (findings.size() == before_profiles)
    findings.push_back({"env.config", doctor::Verdict::kOk,
                        path + ": no credential_process runs rolesanywhere-helper", ""});
  return findings;
}

}  // namespace

int doctor_command(int argc, char** argv) {
  cxxopts::Options options(
      "rolesanywhere-helper doctor",
      "Explain why IAM Roles Anywhere would refuse a certificate, key, chain, trust anchor, "
      "ARNs or clock, before asking it (and after, with --online). Takes credential-process's "
      "flags; also checks the credential_process lines of the AWS config file that run this "
      "helper. Exit status: 0 when nothing is a problem, 1 when something is, 2 on a usage "
      "error.");
  add_provider_flags(options);
  add_doctor_flags(options);

  doctor::DoctorOptions doctor_options;
  bool json = false;
  try {
    auto result = parse_or_help(options, argc, argv);
    if (!result) return 0;
    const std::string format = (*result)["format"].as<std::string>();
    if (format != "text" && format != "json")
      throw Error(Error::Kind::kInvalidArgument, "--format " + format + ": must be text or json");
    json = format == "json";
    doctor_options = read_doctor_options(*result);
  } catch (const Error& error) {
    if (error.kind() != Error::Kind::kInvalidArgument) throw;
    report_error(error.what());
    return kUsageError;
  }

  SystemClock clock;
  doctor::Findings findings = doctor::run_doctor(std::move(doctor_options), clock);
  // The config file's profiles before the clock and the online check, with the environment.
  auto clock_at = std::find_if(findings.begin(), findings.end(),
                               [](const doctor::Finding& f) { return f.id == "clock"; });
  doctor::Findings profiles = check_config_file(clock);
  findings.insert(clock_at, std::make_move_iterator(profiles.begin()),
                  std::make_move_iterator(profiles.end()));

  write_stdout(json ? doctor_json_report(findings)
                    : doctor_text_report(findings, use_colour_on_stdout()));
  return doctor::first_problem(findings) ? 1 : 0;
}

}  // namespace rolesanywhere::cli
