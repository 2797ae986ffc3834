// The generated cases (tests/doctor/make-doctor-pki.sh): doctor names each fault by its check id
// and says ok for the good ones, and the emulator, judging a request signed with each, refuses
// exactly the broken ones, naming the same check; the two share their rules and must agree.
// The e2e test runs the same cases through the binaries.
#include "emulator/emulator_config.hpp"
#include "emulator/verify_session.hpp"
#include "rolesanywhere/doctor_run.hpp"
#include "test_doctor_fixtures.hpp"
#include "test_emulator_support.hpp"
#include "test_service_fixtures.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace rolesanywhere;
using namespace rolesanywhere::doctor;
using doctor_test::GeneratedCase;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

DoctorOptions options_for(const GeneratedCase& c) {
  DoctorOptions options;
  options.identity.certificate = c.certificate;
  options.identity.private_key = c.key;
  options.identity.intermediates = c.intermediates;
  options.trust_anchor_certificate = c.anchor;
  options.crl = c.crl;
  options.check_environment = false;
  return options;
}

// ARNs of the shapes the service takes (UUIDs), of one account and region.
CreateSessionParams session_params() {
  CreateSessionParams params;
  params.trust_anchor_arn =
      "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/"
      "a1b2c3d4-0000-4000-8000-00000000000a";
  params.profile_arn =
      "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/a1b2c3d4-0000-4000-8000-00000000000b";
  params.role_arn = "arn:aws:iam::123456789012:role/Workload";
  return params;
}

std::string problems_of(const Findings& findings) {
  std::string text;
  for (const auto& f : findings)
    if (f.verdict == Verdict::kProblem) text += f.id + ": " + f.what + "\n";
  return text;
}

}  // namespace

TEST_CASE("doctor cases: each generated fault is named by its check, the good ones are ok") {
  SystemClock clock;
  for (const GeneratedCase& c : doctor_test::generated_cases()) {
    CAPTURE(c.name);
    const Findings findings = run_doctor(options_for(c), clock);
    CAPTURE(problems_of(findings));
    const auto problems = doctor_test::ids_with(findings, Verdict::kProblem);
    if (c.verdict == "problem") {
      CHECK(problems == std::vector<std::string>{c.id});
    } else {
      CHECK(problems.empty());
      CHECK(verdict_name(doctor_test::finding(findings, c.id).verdict) == c.verdict);
    }
    CHECK(contains(doctor_test::finding(findings, c.id).what, c.phrase));
  }
}

TEST_CASE("doctor cases: the emulator refuses each broken one and accepts each good one") {
  for (const GeneratedCase& c : doctor_test::generated_cases()) {
    CAPTURE(c.name);
    if (c.emulator == "none") continue;  // a CRL: the emulator takes none
    emulator::EmulatorConfig config;
    config.trust_anchor_certificates = emulator::load_ca_certificates({c.anchor});
    emulator::finish_config(config);
    emulator_test::SignSpec spec;
    spec.certificate = c.certificate;
    spec.key = c.key;
    spec.chain_files = {c.intermediates.empty() ? c.certificate : c.intermediates};
    const TimePoint now = emulator_test::now_seconds();
    spec.signed_at = now;
    if (c.name == "leaf-serial-negative") {
      // The Credential scope holds the serial in decimal, and a signer takes no minus sign:
      // no client can send this certificate at all.
      CHECK_THROWS_WITH(emulator_test::signed_request(spec),
                        doctest::Contains("must be a non-empty decimal number"));
      continue;
    }
    const auto result =
        emulator::verify_create_session(emulator_test::signed_request(spec), config, now);
    if (c.emulator == "accept") {
      CHECK(result.accepted());
      continue;
    }
    CHECK_FALSE(result.accepted());
    if (result.accepted()) continue;
    CAPTURE(result.fault().message);
    CHECK(result.fault().status == 403);
    // A key that is not the certificate's fails the signature before any certificate rule.
    if (c.id == "key.match")
      CHECK(contains(result.fault().message, "Signature verification failed"));
    else
      CHECK(contains(result.fault().message, "[doctor: " + c.id + "]"));
  }
}

TEST_CASE("doctor run: --online explains a refusal with the local findings, and the clock") {
  const auto& cases = doctor_test::generated_cases();
  const auto missing = std::find_if(cases.begin(), cases.end(), [](const GeneratedCase& c) {
    return c.name == "missing-intermediate";
  });
  REQUIRE(missing != cases.end());
  DoctorOptions options = options_for(*missing);
  options.session = session_params();
  options.online = true;
  HttpResponse refusal = service_test::refused_by_service();
  FixedClock clock(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  // The service's clock is 7 minutes ahead of this one.
  refusal.headers.push_back({"Date", format_http_date(clock.now() + std::chrono::minutes(7))});
  options.online_transport = std::make_unique<service_test::ScriptedTransport>(
      std::vector<service_test::ScriptedTransport::Step>{refusal});
  const Findings findings = run_doctor(std::move(options), clock);
  const Finding& clock_finding = doctor_test::finding(findings, "clock");
  CHECK(clock_finding.verdict == Verdict::kProblem);
  CHECK(contains(clock_finding.what, "7 minutes behind the service's"));
  const Finding& online = doctor_test::finding(findings, "online");
  CHECK(online.verdict == Verdict::kProblem);
  CHECK(contains(online.what, "AccessDeniedException: Untrusted signing certificate"));
  CHECK(contains(online.what, "chain.anchor: the chain does not reach the trust anchor"));
  CHECK(contains(online.what, "clock: this machine's clock is 7 minutes behind"));
}

TEST_CASE("doctor run: --online says credentials were issued, for which role, and never them") {
  const auto& cases = doctor_test::generated_cases();
  const GeneratedCase& good = cases.front();
  REQUIRE(good.name == "good-p256");
  DoctorOptions options = options_for(good);
  options.session = session_params();
  options.online = true;
  FixedClock clock(std::chrono::system_clock::now());
  HttpResponse granted =
      service_test::created("ASIAEXAMPLEEXAMPLE12", clock.now() + std::chrono::hours(1));
  granted.headers.push_back({"Date", format_http_date(clock.now())});
  options.online_transport = std::make_unique<service_test::ScriptedTransport>(
      std::vector<service_test::ScriptedTransport::Step>{granted});
  const Findings findings = run_doctor(std::move(options), clock);
  CHECK(doctor_test::ids_with(findings, Verdict::kProblem).empty());
  const Finding& online = doctor_test::finding(findings, "online");
  CHECK(online.verdict == Verdict::kOk);
  CHECK(contains(online.what, "credentials issued for arn:aws:iam::123456789012:role/Workload"));
  CHECK(
      contains(online.what, "valid until " + format_iso8601(clock.now() + std::chrono::hours(1))));
  CHECK(doctor_test::finding(findings, "clock").verdict == Verdict::kOk);
  for (const auto& f : findings) {
    CAPTURE(f.id);
    CHECK_FALSE(contains(f.what + f.remedy, "ASIAEXAMPLE"));
    CHECK_FALSE(contains(f.what + f.remedy, "SECRET-"));
    CHECK_FALSE(contains(f.what + f.remedy, "TOKEN-"));
  }
}

TEST_CASE("doctor run: --online that cannot be tried says why, without sending") {
  const GeneratedCase& good = doctor_test::generated_cases().front();
  DoctorOptions options = options_for(good);
  options.online = true;  // no ARNs
  // Sending would end in this error, which would be the online finding.
  options.online_transport = std::make_unique<service_test::ScriptedTransport>(
      std::vector<service_test::ScriptedTransport::Step>{
          Error(Error::Kind::kTransport, "sent after all")});
  SystemClock clock;
  const Findings findings = run_doctor(std::move(options), clock);
  const Finding& online = doctor_test::finding(findings, "online");
  CHECK(online.verdict == Verdict::kSkipped);
  CHECK(contains(online.what, "CreateSession not tried"));
  CHECK_FALSE(contains(online.what, "sent after all"));
}
