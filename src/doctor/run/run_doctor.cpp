// The order of a doctor run: read (each file its finding), apply the rules to what was read, then
// the environment, and last ask the service, whose refusal is explained with all of the above.
#include "identity_loading.hpp"
#include "online_check.hpp"
#include "rolesanywhere/doctor_run.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"
#include "trust_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace rolesanywhere::doctor {

namespace {

using namespace doctor_detail;

SessionFacts session_facts(const CreateSessionParams& params) {
  SessionFacts facts;
  facts.trust_anchor_arn = params.trust_anchor_arn;
  facts.profile_arn = params.profile_arn;
  facts.role_arn = params.role_arn;
  facts.duration_seconds = params.duration_seconds;
  facts.region = params.region;
  if (params.trust_anchor_arn.empty()) {
    // Without the trust anchor there is no region to resolve an endpoint for.
    facts.endpoint_url = params.endpoint.value_or("");
    return facts;
  }
  try {
    facts.endpoint_url = resolve_endpoint(params).url;
  } catch (const Error& error) {
    // A malformed trust anchor ARN is arn.trust_anchor's to report; only --endpoint's own
    // problems are the endpoint's.
    if (params.endpoint && !params.endpoint->empty()) facts.endpoint_error = error.what();
  }
  return facts;
}

bool has_identity(const DoctorOptions& options) {
  return !options.identity.certificate.empty() || !options.identity.private_key.empty();
}

}  // namespace

Findings run_doctor(DoctorOptions options, const Clock& clock) {
  const Labels& labels = options.labels;
  const TimePoint now = clock.now();
  Findings findings;

  LoadedIdentity loaded;
  if (!options.identity_refused.empty())
    findings.push_back({"identity", Verdict::kProblem, options.identity_refused,
                        "give the certificate and key as files (or a PKCS#11 URI)"});
  else if (!has_identity(options))
    findings.push_back({"identity", Verdict::kSkipped,
                        "no certificate given: the certificate, key and chain are not checked",
                        "give " + label_or(labels.certificate, "the certificate") + " and " +
                            label_or(labels.private_key, "the private key") +
                            " as for credential-process"});
  else
    loaded = load_for_doctor(options.identity, clock, options.debug, findings);

  std::vector<X509Ptr> anchors;
  if (!options.trust_anchor_certificate.empty())
    anchors = load_trust_anchor(options.trust_anchor_certificate, labels, findings);
  std::vector<X509CrlPtr> crls;
  if (!options.crl.empty()) crls = load_crls(options.crl, labels, findings);

  if (loaded.leaf) {
    append(findings, check_certificates(loaded.leaf.get(), loaded.chain, anchors, now, labels));
    append(findings, check_revocation(loaded.leaf.get(), loaded.chain, anchors, crls, labels));
  }

  const SessionFacts session = session_facts(options.session);
  append(findings, check_session(session, labels));

  if (options.check_environment) {
    options.environment.with_proxy = options.transport.use_proxy;
    findings.push_back(check_proxy(options.environment, session.endpoint_url, labels));
    findings.push_back(check_ca_bundle(options.aws_ca_bundle));
    if (!options.transport.verify_tls)
      findings.push_back({"env.tls", Verdict::kWarning,
                          label_or(labels.no_verify_ssl, "TLS verification is off") +
                              ": the service's TLS certificate is not checked, so anyone on the "
                              "network path can pose as the service",
                          "leave it out; for a private CA, point AWS_CA_BUNDLE at its "
                          "certificate instead"});
  }

  if (options.online)
    check_online(loaded, options.session, options.transport, std::move(options.online_transport),
                 clock, options.debug, labels, findings);
  else if (options.check_environment)
    findings.push_back({"clock", Verdict::kSkipped,
                        "not compared with the service's: that needs " +
                            label_or(labels.online, "the online check"),
                        ""});
  return findings;
}

ConfigFile read_config_file(const std::string& path) {
  ConfigFile config;
  config.path = path;
  std::error_code ignored;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    config.found = std::filesystem::exists(path, ignored);
    if (config.found) config.error = path + ": cannot be read";
    return config;
  }
  config.found = true;
  std::ostringstream text;
  text << file.rdbuf();
  config.contents = read_aws_config(text.str());
  return config;
}

}  // namespace rolesanywhere::doctor
