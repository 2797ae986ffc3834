// The emulator's verification of CreateSession requests (src/emulator/verify_session.hpp): the
// query, body, signing headers, SigV4-X509 signature and certificate chain of a request from
// the network.
//
// Input: one HTTP request as it arrives on the socket (request line, headers, an empty line,
// the body). The server's time is the request's own X-Amz-Date when it parses, so a captured,
// correctly signed request (the seeds) verifies on any day.
//
// Invariants:
//   1. a verdict is a grant or a fault of 400, 403 or 404 with an error type and a message;
//   2. a grant names the ARNs served, a duration within 900..43200 and the leaf's serial;
//   3. parse_amz_date gives back a time that formats to the same date and time.
#include "emulator/verify_session.hpp"
#include "fuzz_support.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <openssl/pem.h>

using namespace rolesanywhere;
using namespace rolesanywhere::emulator;

namespace {

// The root CA of the test PKI the seeds were signed with (fuzz/README.md).
constexpr const char* kTrustAnchorPem = R"(
-----BEGIN CERTIFICATE-----
MIIB9TCCAXqgAwIBAgIPeoDnZKALFSX9YbdPrJVCMAoGCCqGSM49BAMCMDwxFTAT
BgNVBAMMDFRlc3QgUm9vdCBDQTEjMCEGA1UECgwacm9sZXNhbnl3aGVyZS1oZWxw
ZXIgdGVzdHMwHhcNMjYxMjA0MjMxMTEzWhcNMzYxMjA1MDAxMTEzWjA8MRUwEwYD
VQQDDAxUZXN0IFJvb3QgQ0ExIzAhBgNVBAoMGnJvbGVzYW55d2hlcmUtaGVscGVy
IHRlc3RzMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEZXL2WGwUGGSdw5Kutu5zMYTj
Ld/OER2yJ1fidxORWwJ1PF8DytspaZkowiWluzWpGyL7VfIWEm0bzVNQ2XWW/WPX
UMvCoaRQ8AW0w/pgdb4E2Jt9vnwdW1xbciY7kznXo0IwQDAPBgNVHRMBAf8EBTAD
AQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQULoeTZD6kmUxPgvqA2BFEnfS5
hdcwCgYIKoZIzj0EAwIDaQAwZgIxAPbDmawjw+ZVbykFNJF7tgfGIQLy2vi9daWP
cttkEllhUaBKowqYu0j38KPP7O1kLAIxAO2GzroM3R29uMIhQvK6esSuQNCmRNiG
venKsNKTG/uNnBlgQIFXpmUkpJynpZ3WeQ==
-----END CERTIFICATE-----
)";

const EmulatorConfig& config() {
  static const EmulatorConfig value = [] {
    EmulatorConfig made;
    BioPtr bio(BIO_new_mem_buf(kTrustAnchorPem, -1));
    made.trust_anchor_certificates.emplace_back(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!made.trust_anchor_certificates.back()) fuzz::violated("the trust anchor PEM loads");
    finish_config(made);
    return made;
  }();
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = fuzz::as_text(data, size);
  const HttpRequest request = fuzz::read_wire_request(rest, /*with_body=*/true).request;

  TimePoint now = TimePoint(std::chrono::seconds(1'800'000'000));
  if (const auto date = request.header("X-Amz-Date")) {
    if (const auto signed_at = parse_amz_date(*date)) {
      now = *signed_at;
      fuzz::check(sigv4x509::amz_date(*signed_at) == *date,
                  "an X-Amz-Date that parses formats back to itself", *date);
    }
  }

  const VerificationResult result = verify_create_session(request, config(), now);
  if (result.accepted()) {
    const SessionGrant& grant = result.grant();
    fuzz::check(grant.trust_anchor_arn == config().trust_anchor_arn &&
                    grant.profile_arn == config().profile_arn &&
                    grant.role_arn == config().role_arn,
                "a grant is for the ARNs served");
    fuzz::check(grant.duration_seconds >= kMinDurationSeconds &&
                    grant.duration_seconds <= kMaxDurationSeconds,
                "a granted duration is within 900..43200", std::to_string(grant.duration_seconds));
    fuzz::check(!grant.serial_decimal.empty() && !grant.serial_hex.empty(),
                "a grant names the certificate's serial");
  } else {
    const ServiceFault& fault = result.fault();
    fuzz::check(fault.status == 400 || fault.status == 403 || fault.status == 404,
                "a fault is 400, 403 or 404", std::to_string(fault.status));
    fuzz::check(!fault.type.empty() && !fault.message.empty(), "a fault has a type and a message");
  }
  return 0;
}
