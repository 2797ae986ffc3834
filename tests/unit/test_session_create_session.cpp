// create_session end to end against a scripted transport: a real identity (made in-process)
// signs every attempt, sleeps are recorded instead of slept, and time comes from a FixedClock.
#include <doctest/doctest.h>

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/session.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using namespace rolesanywhere;
using namespace std::chrono;

namespace {

// A small PKI made in-process (a CA, an intermediate, leaves): the script-made test PKI takes
// seconds, and ctest runs every test case in its own process.
EvpPkeyPtr make_key(const std::string& kind) {
  EvpPkeyPtr key(kind == "rsa2048" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key);
  return key;
}

X509Ptr make_certificate(const std::string& common_name, EVP_PKEY* key, X509* issuer,
                         EVP_PKEY* issuer_key, bool is_ca, std::uint64_t serial) {
  X509Ptr certificate(X509_new());
  REQUIRE(certificate);
  X509* cert = certificate.get();
  REQUIRE(X509_set_version(cert, X509_VERSION_3) == 1);
  REQUIRE(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(cert), -86'400));
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 86'400));
  X509_NAME* name = X509_get_subject_name(cert);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                     -1, -1, 0) == 1);
  REQUIRE(X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) == 1);
  REQUIRE(X509_set_pubkey(cert, key) == 1);
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, NID_basic_constraints,
                                                  is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  REQUIRE(extension != nullptr);
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  REQUIRE(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return certificate;
}

struct TestPki {
  EvpPkeyPtr root_key = make_key("p256");
  X509Ptr root = make_certificate("Session Test Root", root_key.get(), nullptr, nullptr, true, 1);
  EvpPkeyPtr intermediate_key = make_key("p256");
  X509Ptr intermediate = make_certificate("Session Test Intermediate", intermediate_key.get(),
                                          root.get(), root_key.get(), true, 2);

  static TestPki& instance() {
    static TestPki pki;
    return pki;
  }
};

// A real Identity (leaf signed by the intermediate, chain of one), made once per key kind.
const Identity& test_identity(const std::string& kind) {
  static std::map<std::string, std::unique_ptr<Identity>> made;
  auto& slot = made[kind];
  if (!slot) {
    TestPki& pki = TestPki::instance();
    EvpPkeyPtr key = make_key(kind);
    // A serial above 2^63 so the decimal form is exercised beyond a signed 64-bit integer.
    X509Ptr leaf = make_certificate("session-test-" + kind, key.get(), pki.intermediate.get(),
                                    pki.intermediate_key.get(), false, 0xF123456789ABCDEFULL);
    std::vector<X509Ptr> chain;
    REQUIRE(X509_up_ref(pki.intermediate.get()) == 1);
    chain.emplace_back(pki.intermediate.get());
    slot = std::make_unique<Identity>(std::move(leaf), std::move(chain), std::move(key));
  }
  return *slot;
}

CreateSessionParams test_params() {
  CreateSessionParams params;
  params.trust_anchor_arn =
      "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/a1b2c3d4-0000-1111-2222-3333";
  params.profile_arn =
      "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/f0e1d2c3-0000-1111-2222-3333";
  params.role_arn = "arn:aws:iam::123456789012:role/Workload";
  return params;
}

const std::string kSecretKey = "wJalrXUtnFEMI/K7MDENG/SECRETSECRET";
const std::string kSessionToken = "IQoJb3JpZ2luX2VjTOKENTOKENTOKEN";
const std::string kCreatedBody =
    R"({"credentialSet":[{"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":")" +
    kSecretKey + R"(","sessionToken":")" + kSessionToken +
    R"(","expiration":"2026-11-23T10:30:00Z"}}],"subjectArn":"arn:x"})";

HttpResponse answer(long status, std::string body = "", std::vector<HttpHeader> headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// Plays back a script: each send takes the next step, an answer or an exception to throw.
class ScriptedTransport final : public HttpTransport {
 public:
  using Step = std::variant<HttpResponse, Error>;
  explicit ScriptedTransport(std::vector<Step> script) : script_(script.begin(), script.end()) {}

  HttpResponse send(const std::string& base_url, const HttpRequest& request) override {
    base_urls.push_back(base_url);
    requests.push_back(request);
    REQUIRE_FALSE(script_.empty());
    Step step = std::move(script_.front());
    script_.pop_front();
    if (auto* error = std::get_if<Error>(&step)) throw *error;
    return std::get<HttpResponse>(std::move(step));
  }

  std::vector<std::string> base_urls;
  std::vector<HttpRequest> requests;

 private:
  std::deque<Step> script_;
};

Error refused() { return Error(Error::Kind::kTransport, "could not reach https://h: refused"); }

const TimePoint kStart = sys_days{year{2026} / November / 23} + hours{9} + minutes{30};

// Records delays and moves the clock on by them, so each attempt is signed at a later time.
struct Harness {
  FixedClock clock{kStart};
  std::vector<milliseconds> sleeps;
  std::vector<std::string> debug_lines;
  RetryPolicy policy;
  DebugSink sink = [this](std::string_view line) { debug_lines.emplace_back(line); };

  Harness() {
    policy.max_attempts = 3;
    policy.base_delay = milliseconds{1000};
    policy.max_delay = milliseconds{8000};
    policy.random_unit = [] { return 1.0; };  // the top of each jitter range
    policy.sleep = [this](milliseconds delay) {
      sleeps.push_back(delay);
      clock.advance(duration_cast<seconds>(delay));
    };
  }

  Credentials run(ScriptedTransport& transport, const std::string& kind = "p256") {
    return create_session(test_identity(kind), test_params(), transport, clock, policy, sink);
  }

  std::string all_debug() const {
    std::string text;
    for (const auto& line : debug_lines) text += line + "\n";
    return text;
  }
};

std::vector<std::uint8_t> hex_decode(std::string_view hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return bytes;
}

// Checks a sent request the way the service would: rebuild the string to sign from what was
// sent and verify the signature with the certificate's public key.
void check_signature(const HttpRequest& sent, const Identity& identity, const std::string& region) {
  const auto authorization = sent.header("Authorization");
  REQUIRE(authorization);
  const auto parsed = sigv4x509::parse_authorization(*authorization);
  REQUIRE(parsed);
  CHECK(parsed->algorithm == identity.signing_algorithm());
  CHECK(parsed->serial == identity.serial_decimal());
  CHECK(parsed->region == region);
  CHECK(parsed->service == "rolesanywhere");
  CHECK(sent.header("X-Amz-X509") == identity.certificate_base64());
  CHECK(sent.header("X-Amz-X509-Chain") == identity.chain_base64());

  HttpRequest unsigned_copy = sent;
  std::erase_if(unsigned_copy.headers,
                [](const HttpHeader& h) { return iequals(h.name, "Authorization"); });
  sigv4x509::CanonicalOptions options;
  options.names_to_sign = parsed->signed_headers;
  const auto canonical = sigv4x509::canonical_request(unsigned_copy, options);
  const auto date = sent.header("X-Amz-Date").value_or("");
  const auto to_sign = sigv4x509::string_to_sign(
      parsed->algorithm, date, sigv4x509::credential_scope(parsed->date, parsed->region),
      canonical);
  const auto signature = hex_decode(parsed->signature_hex);

  EvpMdCtxPtr context(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr,
                               X509_get0_pubkey(identity.certificate())) == 1);
  CHECK(EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                         reinterpret_cast<const unsigned char*>(to_sign.data()),
                         to_sign.size()) == 1);
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("create_session succeeds after two 500s and signs every attempt afresh") {
  Harness harness;
  ScriptedTransport transport(
      {answer(500, R"({"message":"oops"})"), answer(500), answer(201, kCreatedBody)});
  const Credentials credentials = harness.run(transport);

  CHECK(credentials.access_key_id == "ASIAEXAMPLE");
  CHECK(credentials.secret_access_key.reveal() == kSecretKey);
  CHECK(credentials.session_token.reveal() == kSessionToken);
  CHECK(format_iso8601(credentials.expiration) == "2026-11-23T10:30:00Z");

  REQUIRE(transport.requests.size() == 3);
  CHECK(harness.sleeps == std::vector<milliseconds>{milliseconds{1000}, milliseconds{2000}});
  CHECK(transport.base_urls[0] == "https://rolesanywhere.eu-west-1.amazonaws.com");
  // Signed at the clock's time on each attempt: start, +1 s, +3 s.
  CHECK(transport.requests[0].header("X-Amz-Date") == "20261123T093000Z");
  CHECK(transport.requests[1].header("X-Amz-Date") == "20261123T093001Z");
  CHECK(transport.requests[2].header("X-Amz-Date") == "20261123T093003Z");
  for (const auto& sent : transport.requests) {
    CHECK(sent.method == "POST");
    CHECK(sent.path == "/sessions");
    CHECK(sent.body == R"({"durationSeconds":3600})");
    // Exactly one of each signing header even though each attempt re-signs.
    CHECK(std::count_if(sent.headers.begin(), sent.headers.end(),
                        [](const HttpHeader& h) { return iequals(h.name, "Authorization"); }) == 1);
    check_signature(sent, test_identity("p256"), "eu-west-1");
  }

  const std::string debug = harness.all_debug();
  CHECK(contains(debug, "attempt 2 of 3 after 1000 ms"));
  CHECK(contains(debug, "attempt 3 of 3 after 2000 ms"));
}

TEST_CASE("create_session signs with RSA identities too") {
  Harness harness;
  ScriptedTransport transport({answer(201, kCreatedBody)});
  harness.run(transport, "rsa2048");
  REQUIRE(transport.requests.size() == 1);
  CHECK(transport.requests[0]
            .header("Authorization")
            .value_or("")
            .starts_with("AWS4-X509-RSA-SHA256 Credential="));
  check_signature(transport.requests[0], test_identity("rsa2048"), "eu-west-1");
}

TEST_CASE("create_session stops at once on a 403 with the service's message") {
  Harness harness;
  ScriptedTransport transport(
      {answer(403, R"({"message":"Untrusted signing certificate."})",
              {{"x-amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/"}}),
       answer(201, kCreatedBody)});
  try {
    harness.run(transport);
    FAIL("no error");
  } catch (const ServiceError& e) {
    CHECK(e.http_status() == 403);
    CHECK(std::string(e.what()) == "AccessDeniedException: Untrusted signing certificate.");
  }
  CHECK(transport.requests.size() == 1);
  CHECK(harness.sleeps.empty());
}

TEST_CASE("create_session retries throttling, by status or by error type") {
  Harness harness;
  ScriptedTransport transport(
      {answer(429),
       answer(400, R"({"message":"Rate exceeded"})", {{"X-Amzn-ErrorType", "ThrottlingException"}}),
       answer(201, kCreatedBody)});
  CHECK(harness.run(transport).access_key_id == "ASIAEXAMPLE");
  CHECK(transport.requests.size() == 3);
  CHECK(harness.sleeps.size() == 2);
}

TEST_CASE("create_session retries transport errors") {
  Harness harness;
  ScriptedTransport transport({refused(), refused(), answer(201, kCreatedBody)});
  CHECK(harness.run(transport).access_key_id == "ASIAEXAMPLE");
  CHECK(transport.requests.size() == 3);
  CHECK(contains(harness.all_debug(), "could not reach https://h: refused"));
}

TEST_CASE("create_session throws the last error once retries are exhausted") {
  SUBCASE("transport errors keep their kind and say how often we tried") {
    Harness harness;
    ScriptedTransport transport({refused(), refused(), refused(), answer(201, kCreatedBody)});
    try {
      harness.run(transport);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == Error::Kind::kTransport);
      CHECK(std::string(e.what()) ==
            "could not reach https://h: refused (gave up after 3 attempts)");
    }
    CHECK(transport.requests.size() == 3);
    CHECK(harness.sleeps.size() == 2);
  }
  SUBCASE("service errors are the last answer, unchanged") {
    Harness harness;
    ScriptedTransport transport({answer(500), refused(), answer(503, R"({"message":"down"})")});
    try {
      harness.run(transport);
      FAIL("no error");
    } catch (const ServiceError& e) {
      CHECK(e.http_status() == 503);
      CHECK(std::string(e.what()) == "HTTP 503: down");
    }
    CHECK(transport.requests.size() == 3);
  }
  SUBCASE("max_attempts 1 means no retry") {
    Harness harness;
    harness.policy.max_attempts = 1;
    ScriptedTransport transport({refused()});
    try {
      harness.run(transport);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == "could not reach https://h: refused");
    }
    CHECK(harness.sleeps.empty());
  }
}

TEST_CASE("create_session does not retry what retrying cannot fix") {
  SUBCASE("a malformed success answer") {
    Harness harness;
    ScriptedTransport transport({answer(201, "{}"), answer(201, kCreatedBody)});
    try {
      harness.run(transport);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == Error::Kind::kService);
      CHECK(contains(e.what(), "no credentialSet"));
    }
    CHECK(transport.requests.size() == 1);
  }
  SUBCASE("an error from the transport that is not a transport failure") {
    Harness harness;
    ScriptedTransport transport(
        {Error(Error::Kind::kInternal, "libcurl rejected an option"), answer(201, kCreatedBody)});
    CHECK_THROWS_WITH(harness.run(transport), "libcurl rejected an option");
    CHECK(transport.requests.size() == 1);
  }
  SUBCASE("invalid parameters, before anything is sent") {
    Harness harness;
    ScriptedTransport transport({answer(201, kCreatedBody)});
    CreateSessionParams params = test_params();
    params.duration_seconds = 60;
    CHECK_THROWS_AS(create_session(test_identity("p256"), params, transport, harness.clock,
                                   harness.policy, harness.sink),
                    Error);
    CHECK(transport.requests.empty());
  }
}

TEST_CASE("create_session debug lines show the request but never the credentials") {
  Harness harness;
  ScriptedTransport transport({answer(500), answer(201, kCreatedBody)});
  harness.run(transport);
  const std::string debug = harness.all_debug();
  CHECK(contains(debug, "https://rolesanywhere.eu-west-1.amazonaws.com"));
  CHECK(contains(debug, "canonical request:\nPOST\n/sessions\n"));
  CHECK(contains(debug, "Authorization: AWS4-X509-ECDSA-SHA256 Credential="));
  CHECK(contains(debug, "X-Amz-X509: " + test_identity("p256").certificate_base64()));
  CHECK(contains(debug, "HTTP 500"));
  CHECK_FALSE(contains(debug, kSecretKey));
  CHECK_FALSE(contains(debug, kSessionToken));
}

TEST_CASE("create_session sends to --endpoint and signs for --region") {
  Harness harness;
  ScriptedTransport transport({answer(201, kCreatedBody)});
  CreateSessionParams params = test_params();
  params.endpoint = "http://127.0.0.1:8080/";
  params.region = "eu-west-3";
  create_session(test_identity("p256"), params, transport, harness.clock, harness.policy,
                 harness.sink);
  REQUIRE(transport.requests.size() == 1);
  CHECK(transport.base_urls[0] == "http://127.0.0.1:8080");
  CHECK(transport.requests[0].header("Host") == "127.0.0.1:8080");
  check_signature(transport.requests[0], test_identity("p256"), "eu-west-3");
}

TEST_CASE("create_session takes any 2xx answer as a success") {
  for (long status : {200L, 201L, 202L, 203L, 299L}) {
    CAPTURE(status);
    Harness harness;
    ScriptedTransport transport({answer(status, kCreatedBody)});
    const Credentials credentials = harness.run(transport);
    CHECK(credentials.access_key_id == "ASIAEXAMPLE");
    CHECK(transport.requests.size() == 1);
  }
}

TEST_CASE("create_session does not retry a cancelled transfer") {
  Harness harness;
  ScriptedTransport transport({Error(Error::Kind::kCancelled, "stopped before https://h answered"),
                               answer(201, kCreatedBody)});
  CHECK_THROWS_WITH_AS(harness.run(transport), "stopped before https://h answered", Error);
  CHECK(transport.requests.size() == 1);
  CHECK(harness.sleeps.empty());
}

TEST_CASE("create_session starts no attempt once cancelled during the backoff") {
  Harness harness;
  std::stop_source stop;
  harness.policy.cancel = stop.get_token();
  harness.policy.sleep = [&](milliseconds delay) {
    harness.sleeps.push_back(delay);
    stop.request_stop();  // SIGTERM arrives while waiting to retry
  };
  ScriptedTransport transport({answer(503), answer(201, kCreatedBody)});
  try {
    harness.run(transport);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kCancelled);
  }
  CHECK(transport.requests.size() == 1);
}

TEST_CASE("create_session default backoff sleep ends when cancelled") {
  // The default sleep (no sleep injected) must not wait out a long backoff once a stop comes.
  Harness harness;
  harness.policy.sleep = nullptr;
  harness.policy.base_delay = hours{1};
  harness.policy.max_delay = hours{1};
  std::stop_source stop;
  harness.policy.cancel = stop.get_token();
  ScriptedTransport transport({refused(), answer(201, kCreatedBody)});
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds{100});
    stop.request_stop();
  });
  try {
    harness.run(transport);
    FAIL("no error");
  } catch (const Error& e) {
    // Had the sleep not ended, this would be an hour away; had it ended without the stop being
    // noticed, the second (successful) answer would have been taken.
    CHECK(e.kind() == Error::Kind::kCancelled);
  }
  stopper.join();
  CHECK(transport.requests.size() == 1);
}
