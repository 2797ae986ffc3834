// RolesAnywhereProvider: what it sends, renewals picked up and reported, certificates that are
// not valid refused before anything is sent, and the expiry warning. A scripted transport stands
// in for the service; the identity comes from the generated test PKI's files.
#include "test_identity_fixtures.hpp"
#include "test_service_fixtures.hpp"

#include "rolesanywhere/provider.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <vector>

using namespace rolesanywhere;
using namespace service_test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Replaces `target` with a copy of `source` as renewal tools do: write aside, rename over.
void replace_file(const std::string& source, const std::string& target) {
  fs::copy_file(source, target + ".new", fs::copy_options::overwrite_existing);
  fs::rename(target + ".new", target);
}

// Certificate and key files at fixed paths, starting as the PKI's `kind` identity.
IdentitySource live_source(const std::string& name, const std::string& kind) {
  IdentitySource source;
  source.certificate = identity_test::scratch(name + ".crt.pem");
  source.private_key = identity_test::scratch(name + ".key.pem");
  source.intermediates = identity_test::pki("intermediates.pem");
  replace_file(identity_test::pki(kind + ".crt.pem"), source.certificate);
  replace_file(identity_test::pki(kind + ".key.pem"), source.private_key);
  return source;
}

std::string x509_header(const HttpRequest& request) {
  return request.header("X-Amz-X509").value_or("");
}

TimePoint expiry_of(const std::string& certificate_file) {
  return not_after(identity_test::read_certificate(certificate_file).get());
}

struct Rig {
  explicit Rig(const std::string& name, bool watch_files = true)
      : source(live_source(name, "p256")) {
    auto scripted = std::make_unique<ScriptedTransport>(
        std::vector<ScriptedTransport::Step>{created("ASIAFIRST", clock.now() + 1h)});
    transport = scripted.get();
    provider = make_provider(source, clock, std::move(scripted), watch_files);
    provider->set_observer([this](const ProviderEvent& event) { events.push_back(event); });
  }
  IdentitySource source;
  FixedClock clock{std::chrono::system_clock::now()};
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<RolesAnywhereProvider> provider;
  std::vector<ProviderEvent> events;
};

}  // namespace

TEST_CASE("provider: a fetch sends CreateSession signed with the identity and returns its answer") {
  Rig rig("provider-fetch");
  const Credentials credentials = rig.provider->fetch(rig.clock);
  CHECK(credentials.access_key_id == "ASIAFIRST");
  REQUIRE(rig.transport->sent() == 1);
  const HttpRequest request = rig.transport->request(0);
  CHECK(request.path == "/sessions");
  CHECK(x509_header(request) == rig.provider->identity().certificate_base64());
  CHECK(request.header("Authorization").value_or("").starts_with("AWS4-X509-ECDSA-SHA256 "));
  CHECK(rig.events.empty());
}

TEST_CASE("provider: a certificate renewed on disk signs the next request, and is said once") {
  Rig rig("provider-renewed");
  rig.provider->fetch(rig.clock);
  const std::string first_certificate = x509_header(rig.transport->request(0));

  replace_file(identity_test::pki("rsa2048.crt.pem"), rig.source.certificate);
  replace_file(identity_test::pki("rsa2048.key.pem"), rig.source.private_key);
  rig.provider->fetch(rig.clock);
  rig.provider->fetch(rig.clock);

  const std::string renewed = x509_header(rig.transport->request(1));
  CHECK(renewed != first_certificate);
  CHECK(x509_header(rig.transport->request(2)) == renewed);
  CHECK(rig.transport->request(1)
            .header("Authorization")
            .value_or("")
            .starts_with("AWS4-X509-RSA-SHA256 "));
  REQUIRE(rig.events.size() == 1);
  CHECK(rig.events[0].kind == ProviderEvent::Kind::kRenewed);
  CHECK(rig.events[0].watches_files);
  CHECK(rig.events[0].certificate.find("workload-rsa2048") != std::string::npos);
}

TEST_CASE("provider: a renewal that cannot be loaded keeps the old certificate and is said once") {
  Rig rig("provider-broken-renewal");
  rig.provider->fetch(rig.clock);
  const std::string first_certificate = x509_header(rig.transport->request(0));
  // A new certificate whose key has not been written yet: they do not match.
  replace_file(identity_test::pki("rsa2048.crt.pem"), rig.source.certificate);
  rig.provider->fetch(rig.clock);
  rig.provider->fetch(rig.clock);

  CHECK(x509_header(rig.transport->request(1)) == first_certificate);
  CHECK(x509_header(rig.transport->request(2)) == first_certificate);
  REQUIRE(rig.events.size() == 1);
  CHECK(rig.events[0].kind == ProviderEvent::Kind::kRenewalFailed);
  CHECK_FALSE(rig.events[0].failure.empty());
  CHECK(rig.events[0].certificate.find("workload-p256") != std::string::npos);

  // The key arrives: the renewal is used and said.
  replace_file(identity_test::pki("rsa2048.key.pem"), rig.source.private_key);
  rig.provider->fetch(rig.clock);
  CHECK(x509_header(rig.transport->request(3)) != first_certificate);
  REQUIRE(rig.events.size() == 2);
  CHECK(rig.events[1].kind == ProviderEvent::Kind::kRenewed);
}

TEST_CASE("provider: an expired certificate is refused with what to do, and nothing is sent") {
  SUBCASE("files: renew the file") {
    Rig rig("provider-expired-files");
    rig.clock.set(expiry_of(rig.source.certificate) + 1s);
    CHECK_THROWS_WITH_AS(rig.provider->fetch(rig.clock),
                         doctest::Contains("not sending it to the service. To recover, renew the "
                                           "certificate file"),
                         Error);
    CHECK(rig.transport->sent() == 0);
  }
  SUBCASE("a token, variable or descriptor: restart with a renewed one") {
    Rig rig("provider-expired-token", /*watch_files=*/false);
    rig.clock.set(expiry_of(rig.source.certificate) + 1s);
    CHECK_THROWS_WITH_AS(rig.provider->fetch(rig.clock),
                         doctest::Contains("put a renewed certificate in place (on the token, or "
                                           "in the variable or descriptor it was given through) "
                                           "and restart"),
                         Error);
    CHECK(rig.transport->sent() == 0);
  }
}

TEST_CASE("provider: a certificate in its last week is warned about, once a day") {
  Rig rig("provider-expiring");
  const TimePoint expiry = expiry_of(rig.source.certificate);
  rig.clock.set(expiry - 3 * 24h);
  rig.provider->fetch(rig.clock);
  rig.clock.advance(1h);
  rig.provider->fetch(rig.clock);
  REQUIRE(rig.events.size() == 1);
  CHECK(rig.events[0].kind == ProviderEvent::Kind::kExpiringSoon);
  CHECK(rig.events[0].expiry == expiry);
  CHECK(rig.events[0].remaining == std::chrono::duration_cast<std::chrono::seconds>(3 * 24h));
  CHECK(rig.events[0].subject.find("workload-p256") != std::string::npos);
  rig.clock.advance(24h);
  rig.provider->fetch(rig.clock);
  CHECK(rig.events.size() == 2);
}

TEST_CASE("provider: a renewed certificate is warned about on its own schedule") {
  Rig rig("provider-expiring-renewed");
  rig.clock.set(expiry_of(rig.source.certificate) - 3 * 24h);
  rig.provider->fetch(rig.clock);
  REQUIRE(rig.events.size() == 1);
  // Renewed an hour later with another certificate that also expires within the week: its own
  // warning comes at once, not a day after the first one.
  rig.clock.advance(1h);
  replace_file(identity_test::pki("rsa2048.crt.pem"), rig.source.certificate);
  replace_file(identity_test::pki("rsa2048.key.pem"), rig.source.private_key);
  rig.provider->fetch(rig.clock);
  REQUIRE(rig.events.size() == 3);
  CHECK(rig.events[1].kind == ProviderEvent::Kind::kRenewed);
  CHECK(rig.events[2].kind == ProviderEvent::Kind::kExpiringSoon);
}

TEST_CASE("provider: the session parameters are checked before any file is read") {
  ProviderOptions options;
  options.identity.certificate = "/no/such/certificate.pem";
  options.identity.private_key = "/no/such/key.pem";
  options.session = test_params();
  options.session.role_arn = "not-an-arn";
  SystemClock clock;
  try {
    RolesAnywhereProvider provider(options, clock);
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("not-an-arn") != std::string::npos);
    CHECK(std::string(error.what()).find("/no/such") == std::string::npos);
  }
}

TEST_CASE("provider: a typed key password is asked once and answers the reload of a renewal") {
  ProviderOptions options;
  options.session = test_params();
  options.identity.certificate = identity_test::scratch("provider-password.crt.pem");
  options.identity.private_key = identity_test::scratch("provider-password.key.pem");
  replace_file(identity_test::pki("p256.crt.pem"), options.identity.certificate);
  replace_file(identity_test::pki("p256.key.enc-pbkdf2.pem"), options.identity.private_key);
  int asked = 0;
  options.identity.ask_password = [&asked](const std::string&) -> std::optional<SecretString> {
    ++asked;
    return SecretString(identity_test::kPassword);
  };
  FixedClock clock{std::chrono::system_clock::now()};
  RolesAnywhereProvider provider(
      options, clock,
      std::make_unique<ScriptedTransport>(
          std::vector<ScriptedTransport::Step>{created("ASIARELOADED", clock.now() + 1h)}));
  CHECK(asked == 1);
  const std::string loaded = provider.identity().certificate_base64();

  // The same pair renewed (rewritten): the reload needs the password again and must not ask.
  replace_file(identity_test::pki("rsa2048.crt.pem"), options.identity.certificate);
  replace_file(identity_test::pki("rsa2048.key.enc-pbkdf2.pem"), options.identity.private_key);
  std::vector<ProviderEvent> events;
  provider.set_observer([&events](const ProviderEvent& event) { events.push_back(event); });
  CHECK(provider.fetch(clock).access_key_id == "ASIARELOADED");
  CHECK(asked == 1);
  REQUIRE_FALSE(events.empty());
  CHECK(events[0].kind == ProviderEvent::Kind::kRenewed);
  CHECK(provider.identity().certificate_base64() != loaded);
}
