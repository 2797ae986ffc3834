#include "online_check.hpp"

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/renewable_identity.hpp"
#include "rolesanywhere/text.hpp"

#include <memory>
#include <optional>

namespace rolesanywhere::doctor_detail {

namespace {

using doctor::Finding;
using doctor::Verdict;

struct Answer {
  bool received = false;
  std::optional<std::string> date;  // the Date header
  TimePoint received_at{};
};

// Passes each request on and notes when the answer came and its Date header: nothing else of it,
// since a granted session's body holds the credentials.
class DateNotingTransport final : public HttpTransport {
 public:
  DateNotingTransport(std::unique_ptr<HttpTransport> inner, std::shared_ptr<Answer> answer,
                      const Clock& clock)
      : inner_(std::move(inner)), answer_(std::move(answer)), clock_(clock) {}

  HttpResponse send(const std::string& base_url, const HttpRequest& request) override {
    HttpResponse response = inner_->send(base_url, request);
    answer_->received = true;
    answer_->received_at = clock_.now();
    answer_->date = response.header("Date");
    return response;
  }

 private:
  std::unique_ptr<HttpTransport> inner_;
  std::shared_ptr<Answer> answer_;
  const Clock& clock_;
};

Finding clock_finding(const Answer& answer) {
  if (!answer.received)
    return {"clock", Verdict::kSkipped, "not compared: the service did not answer", ""};
  const auto service_time = answer.date ? doctor::parse_http_date(*answer.date) : std::nullopt;
  if (!service_time)
    return {"clock", Verdict::kSkipped,
            "not compared: the answer carried no Date header that could be read", ""};
  return doctor::check_clock(answer.received_at, *service_time);
}

std::string endpoint_url(const CreateSessionParams& params) {
  try {
    return resolve_endpoint(params).url;
  } catch (const Error&) {
    return "the endpoint";
  }
}

void not_tried(doctor::Findings& findings, const std::string& why, const std::string& remedy) {
  findings.push_back({"clock", Verdict::kSkipped, "not compared: no CreateSession was made", ""});
  findings.push_back({"online", Verdict::kSkipped, "CreateSession not tried: " + why, remedy});
}

}  // namespace

void check_online(LoadedIdentity& loaded, const CreateSessionParams& params,
                  const TransportOptions& transport_options,
                  std::unique_ptr<HttpTransport> transport, const Clock& clock,
                  const DebugSink& debug, const doctor::Labels& labels,
                  doctor::Findings& findings) {
  try {
    validate(params);
  } catch (const Error& error) {
    not_tried(findings, error.what(), "fix the session parameters first");
    return;
  }
  auto identity = std::make_shared<std::optional<Identity>>();
  try {
    identity->emplace(signing_identity(loaded));
  } catch (const Error& error) {
    not_tried(findings, std::string("nothing to sign with: ") + error.what(),
              "fix the certificate and key first");
    return;
  }

  const std::string url = endpoint_url(params);
  auto answer = std::make_shared<Answer>();
  try {
    if (!transport) transport = make_curl_transport(transport_options);
    // No paths: the identity is what was loaded above and is never read again.
    RenewableIdentity renewable({}, [identity] { return std::move(**identity); });
    RolesAnywhereProvider provider(
        std::move(renewable), params,
        std::make_unique<DateNotingTransport>(std::move(transport), answer, clock), debug,
        transport_options.cancel);
    const Credentials credentials = provider.fetch(clock);
    findings.push_back(clock_finding(*answer));
    findings.push_back({"online", Verdict::kOk,
                        "CreateSession granted by " + url + ": credentials issued for " +
                            params.role_arn + ", valid until " +
                            format_iso8601(credentials.expiration) + " (not shown)",
                        ""});
  } catch (const ServiceError& error) {
    findings.push_back(clock_finding(*answer));
    findings.push_back(
        doctor::explain_refusal(error.error_type(), error.service_message(), findings, labels));
  } catch (const Error& error) {
    findings.push_back(clock_finding(*answer));
    if (!answer->received && error.kind() == Error::Kind::kCrypto)
      findings.push_back({"online", Verdict::kProblem,
                          std::string("CreateSession not sent: ") + error.what(),
                          "fix the certificate first"});
    else
      findings.push_back(
          {"online", Verdict::kProblem, "no answer from " + url + ": " + error.what(),
           "check the network path to it: " + label_or(labels.endpoint, "the endpoint") +
               ", a proxy (" + label_or(labels.with_proxy, "the proxy option") +
               ") and AWS_CA_BUNDLE"});
  }
}

}  // namespace rolesanywhere::doctor_detail
