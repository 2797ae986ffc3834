#include "provider_flags.hpp"

#include "identity_source.hpp"
#include "output.hpp"

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/text.hpp"

#include <cstdlib>

namespace rolesanywhere::cli {

namespace {

// Flags of credential-process, serve and update only (not sign-string's session-less set).
void add_request_option_flags(cxxopts::Options& options) {
  options.add_options("Session")  //
      ("instance-property",
       "KEY=VALUE sent in CreateSession's instanceProperties (repeatable; at most 50, keys and "
       "values 1-200 characters), for profiles that require instance properties",
       cxxopts::value<std::vector<std::string>>())  //
      ("use-fips-endpoint",
       "Call the FIPS endpoint rolesanywhere-fips.<region>.amazonaws.com (aws and aws-us-gov "
       "partitions); also AWS_USE_FIPS_ENDPOINT=true. --endpoint, when given, wins");
}

// As the AWS SDKs read it: "true" in any case turns it on, anything else leaves it off.
bool fips_endpoint_from_environment() {
  const char* value = std::getenv("AWS_USE_FIPS_ENDPOINT");
  return value && to_lower(value) == "true";
}

void read_request_option_flags(const cxxopts::ParseResult& result, CreateSessionParams& params) {
  params.labels.instance_property = "--instance-property";
  if (result.count("instance-property"))
    for (const std::string& text : result["instance-property"].as<std::vector<std::string>>())
      add_instance_property(params.instance_properties, text, params.labels.instance_property);
  if (result.count("use-fips-endpoint")) {
    params.use_fips_endpoint = true;
    params.labels.use_fips_endpoint = "--use-fips-endpoint";
  } else if (fips_endpoint_from_environment()) {
    params.use_fips_endpoint = true;
    params.labels.use_fips_endpoint = "AWS_USE_FIPS_ENDPOINT=true";
  }
}

}  // namespace

void add_provider_flags(cxxopts::Options& options) {
  add_identity_flags(options, FlagSet::kCredentials);
  add_session_flags(options);
  add_request_option_flags(options);
  add_debug_flag(options);
}

ProviderOptions read_provider_flags(const cxxopts::ParseResult& result, std::stop_token cancel) {
  ProviderOptions options;
  options.debug = stderr_debug_sink(result.count("debug") > 0);
  IdentityFlags identity_flags = read_identity_flags(result, FlagSet::kCredentials);
  options.session = read_session_flags(result);
  read_request_option_flags(result, options.session);
  options.transport = read_transport_flags(result);
  options.transport.cancel = std::move(cancel);
  options.identity = identity_source(std::move(identity_flags));
  return options;
}

std::vector<std::string> weakened_settings(const ProviderOptions& options) {
  std::vector<std::string> warnings;
  if (!options.transport.verify_tls)
    warnings.push_back(
        "warning: --no-verify-ssl: the service's TLS certificate is not checked, so anyone on the "
        "network path can pose as the service and read the credentials it returns");
  const Endpoint endpoint = resolve_endpoint(options.session);
  const std::string& with_port = endpoint.host;
  const std::string host = with_port.starts_with('[') ? with_port.substr(0, with_port.find(']') + 1)
                                                      : with_port.substr(0, with_port.find(':'));
  const bool local = host.starts_with("127.") || host == "[::1]" || host == "localhost";
  if (endpoint.url.starts_with("http://") && !local)
    warnings.push_back("warning: --endpoint " + endpoint.url +
                       " is plain HTTP: the credentials come back unencrypted over the network");
  return warnings;
}

std::string describe_provider_event(const ProviderEvent& event) {
  const std::string what_to_do = certificate_renewal_remedy(event.watches_files) +
                                 (event.watches_files ? ", and at once on SIGHUP" : "");
  switch (event.kind) {
    case ProviderEvent::Kind::kRenewed:
      return "the certificate or key files changed on disk; signing from now on with the renewed "
             "certificate: " +
             event.certificate;
    case ProviderEvent::Kind::kRenewalFailed:
      return "the certificate or key files changed on disk but cannot be used yet (" +
             event.failure +
             "); still signing with the certificate loaded before: " + event.certificate +
             ". They are read again before every attempt";
    case ProviderEvent::Kind::kExpiringSoon:
      break;
  }
  const auto left = event.remaining.count();
  const std::string in = left >= 48 * 3600  ? std::to_string(left / (24 * 3600)) + " days"
                         : left >= 2 * 3600 ? std::to_string(left / 3600) + " hours"
                         : left >= 120      ? std::to_string(left / 60) + " minutes"
                                            : std::to_string(left) + " seconds";
  return "warning: the certificate " + event.subject + " expires at " +
         format_iso8601(event.expiry) + ", in " + in + "; " + what_to_do;
}

}  // namespace rolesanywhere::cli
