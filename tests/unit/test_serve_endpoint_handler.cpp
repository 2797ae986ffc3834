// The endpoint's answers as a pure function of the request and the time: IMDSv2 as the official
// helper answers it, the container path, and 503 instead of bad credentials.
#include "serve/credentials_documents.hpp"
#include "serve/cross_site_check.hpp"
#include "serve/endpoint_handler.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;
using namespace std::chrono_literals;

namespace {

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

std::shared_ptr<const Credentials> sample_credentials(TimePoint expiration = kNow + 3600s) {
  return std::make_shared<const Credentials>(
      Credentials{"ASIAEXAMPLEEXAMPLE01", SecretString("secret/key+with\"quote"),
                  SecretString("session-token-value"), expiration});
}

struct Fixture {
  TokenStore tokens;
  CredentialsSnapshot snapshot{sample_credentials(), kNow - 60s, std::nullopt};
  EndpointConfig config{"rolesanywhere-test", std::nullopt, "/v1/credentials"};
  EndpointHandler handler{config, [this] { return snapshot; }, tokens};

  HttpResponse send(std::string method, std::string path, std::vector<HttpHeader> headers = {},
                    TimePoint now = kNow) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.headers = std::move(headers);
    return handler.handle(request, now);
  }
  std::string token(std::string ttl = "21600") {
    const HttpResponse response =
        send("PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", ttl}});
    REQUIRE(response.status == 200);
    return response.body;
  }
};

const char* kRolePath = "/latest/meta-data/iam/security-credentials/rolesanywhere-test";

}  // namespace

TEST_CASE("serve handler: PUT token answers the token and echoes its TTL") {
  Fixture f;
  const HttpResponse response =
      f.send("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "300"}});
  CHECK(response.status == 200);
  CHECK(response.body.size() == 64);
  CHECK(response.header("x-aws-ec2-metadata-token-ttl-seconds") == "300");
  CHECK(f.tokens.remaining(response.body, kNow) == 300s);
}

TEST_CASE("serve handler: the token TTL defaults to 21600 and must be 1 to 21600") {
  Fixture f;
  const HttpResponse defaulted = f.send("PUT", "/latest/api/token");
  CHECK(defaulted.status == 200);
  CHECK(defaulted.header("x-aws-ec2-metadata-token-ttl-seconds") == "21600");
  CHECK(
      f.send("PUT", "/latest/api/token/", {{"x-aws-ec2-metadata-token-ttl-seconds", "1"}}).status ==
      200);
  for (const char* bad : {"0", "21601", "-5", "abc", "5s", " 5", "+5", "99999999999999999999"}) {
    CAPTURE(bad);
    const HttpResponse response =
        f.send("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", bad}});
    CHECK(response.status == 400);
    CHECK(response.body == "invalid token TTL");
  }
}

TEST_CASE("serve handler: a token PUT with X-Forwarded-For is refused with 400") {
  Fixture f;
  const HttpResponse response =
      f.send("PUT", "/latest/api/token", {{"x-forwarded-for", "1.2.3.4"}});
  CHECK(response.status == 400);
  CHECK(response.body == "unable to process requests with X-Forwarded-For header");
  CHECK(f.tokens.size() == 0);
}

TEST_CASE("serve handler: wrong methods get 405 on every path") {
  Fixture f;
  CHECK(f.send("GET", "/latest/api/token").status == 405);
  CHECK(f.send("POST", "/latest/api/token/").status == 405);
  CHECK(f.send("PUT", "/latest/meta-data/iam/security-credentials").status == 405);
  CHECK(f.send("DELETE", "/latest/meta-data/iam/security-credentials/").status == 405);
  CHECK(f.send("POST", kRolePath, {{"x-aws-ec2-metadata-token", f.token()}}).status == 405);
  CHECK(f.send("HEAD", kRolePath).status == 405);
  CHECK(f.send("PUT", "/latest/api/token").status == 200);
}

TEST_CASE("serve handler: GETs without a live token get 401") {
  Fixture f;
  for (const char* path : {"/latest/meta-data/iam/security-credentials", kRolePath}) {
    CAPTURE(path);
    const HttpResponse missing = f.send("GET", path);
    CHECK(missing.status == 401);
    CHECK(missing.body == "no token provided");
    const HttpResponse unknown = f.send("GET", path, {{"x-aws-ec2-metadata-token", "made-up"}});
    CHECK(unknown.status == 401);
    CHECK(unknown.body == "invalid token provided");
  }
  const std::string short_lived = f.token("10");
  CHECK(f.send("GET", kRolePath, {{"X-aws-ec2-metadata-token", short_lived}}, kNow + 9s).status ==
        200);
  CHECK(f.send("GET", kRolePath, {{"X-aws-ec2-metadata-token", short_lived}}, kNow + 10s).status ==
        401);
}

TEST_CASE("serve handler: the role name path lists the role with and without a trailing slash") {
  Fixture f;
  const std::string token = f.token("600");
  for (const char* path : {"/latest/meta-data/iam/security-credentials",
                           "/latest/meta-data/iam/security-credentials/"}) {
    const HttpResponse response =
        f.send("GET", path, {{"X-aws-ec2-metadata-token", token}}, kNow + 100s);
    CHECK(response.status == 200);
    CHECK(response.body == "rolesanywhere-test");
    CHECK(response.header("x-aws-ec2-metadata-token-ttl-seconds") == "500");
  }
}

TEST_CASE("serve handler: the credentials path answers the IMDS JSON with and without slash") {
  Fixture f;
  const std::string token = f.token();
  for (std::string path : {std::string(kRolePath), std::string(kRolePath) + "/"}) {
    const HttpResponse response = f.send("GET", path, {{"X-aws-ec2-metadata-token", token}});
    REQUIRE(response.status == 200);
    CHECK(response.header("Content-Type") == "application/json");
    CHECK(response.header("x-aws-ec2-metadata-token-ttl-seconds") == "21600");
    const auto json = nlohmann::ordered_json::parse(response.body);
    std::vector<std::string> keys;
    for (const auto& item : json.items()) keys.push_back(item.key());
    CHECK(keys == std::vector<std::string>{"Code", "LastUpdated", "Type", "AccessKeyId",
                                           "SecretAccessKey", "Token", "Expiration"});
    CHECK(json["Code"] == "Success");
    CHECK(json["Type"] == "AWS-HMAC");
    CHECK(json["AccessKeyId"] == "ASIAEXAMPLEEXAMPLE01");
    CHECK(json["SecretAccessKey"] == "secret/key+with\"quote");
    CHECK(json["Token"] == "session-token-value");
    CHECK(json["Expiration"] == format_iso8601(kNow + 3600s));
    CHECK(json["LastUpdated"] == format_iso8601(kNow - 60s));
  }
}

TEST_CASE("serve handler: another role name and unknown paths are 404") {
  Fixture f;
  const std::string token = f.token();
  const std::vector<HttpHeader> with_token = {{"X-aws-ec2-metadata-token", token}};
  CHECK(f.send("GET", "/latest/meta-data/iam/security-credentials/other-role", with_token).status ==
        404);
  CHECK(f.send("GET", "/latest/meta-data/iam/security-credentials-extended/", with_token).status ==
        404);
  CHECK(f.send("GET", "/", with_token).status == 404);
  CHECK(f.send("GET", "/v1/credentials").status == 404);  // container mode is off
  CHECK(f.send("GET", std::string(kRolePath) + "//", with_token).status == 404);
}

TEST_CASE("serve handler: no credentials yet means 503 with a JSON reason and never 200") {
  Fixture f;
  f.snapshot = {nullptr, {}, "HTTP 503: service down"};
  const HttpResponse response = f.send("GET", kRolePath, {{"X-aws-ec2-metadata-token", f.token()}});
  CHECK(response.status == 503);
  const auto json = nlohmann::json::parse(response.body);
  CHECK(json["Code"] == "CredentialsUnavailable");
  CHECK(json["Message"].get<std::string>().find("service down") != std::string::npos);
  CHECK(response.body.find("AccessKeyId") == std::string::npos);
}

TEST_CASE("serve handler: expired credentials are never handed out") {
  Fixture f;
  f.snapshot.credentials = sample_credentials(kNow + 5s);
  const std::string token = f.token();
  CHECK(f.send("GET", kRolePath, {{"X-aws-ec2-metadata-token", token}}, kNow + 4s).status == 200);
  const HttpResponse expired =
      f.send("GET", kRolePath, {{"X-aws-ec2-metadata-token", token}}, kNow + 5s);
  CHECK(expired.status == 503);
  CHECK(expired.body.find("secret") == std::string::npos);
}

TEST_CASE("serve handler: the container path needs the exact Authorization token") {
  Fixture f;
  f.config.container_authorization = SecretString("container-token-1234");
  EndpointHandler handler(
      f.config, [&] { return f.snapshot; }, f.tokens);
  auto send = [&](std::string method, std::string path, std::vector<HttpHeader> headers) {
    HttpRequest request{method, path, "", headers, ""};
    return handler.handle(request, kNow);
  };
  CHECK(send("GET", "/v1/credentials", {}).status == 401);
  CHECK(send("GET", "/v1/credentials", {{"Authorization", "container-token-123"}}).status == 401);
  CHECK(send("GET", "/v1/credentials", {{"Authorization", "container-token-12345"}}).status == 401);
  CHECK(send("POST", "/v1/credentials", {{"Authorization", "container-token-1234"}}).status == 405);
  const HttpResponse response =
      send("GET", "/v1/credentials/", {{"authorization", "container-token-1234"}});
  REQUIRE(response.status == 200);
  const auto json = nlohmann::ordered_json::parse(response.body);
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"});
  CHECK(json["Token"] == "session-token-value");

  f.snapshot = {};
  CHECK(send("GET", "/v1/credentials", {{"Authorization", "container-token-1234"}}).status == 503);
}

TEST_CASE("serve handler: Host names an IP address or localhost, or the request is refused") {
  for (const char* host :
       {"127.0.0.1", "127.0.0.1:9911", "[::1]", "[::1]:9911", "localhost", "LocalHost:9911",
        "localhost.:80", "169.254.169.254", "10.1.2.3:1", "[fe80::1%25eth0]:9911"})
    CHECK_MESSAGE(host_is_address_or_localhost(host), host);
  for (const char* host :
       {"", "attacker.example", "attacker.example:9911", "127.0.0.1.nip.io",
        "localhost.attacker.example", "127.1", "::1", "[::1", "[::1]9911",
        "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:123456", "[evil]:80", "localhost:9911:1"})
    CHECK_MESSAGE(!host_is_address_or_localhost(host), host);
}

TEST_CASE("serve handler: DNS rebinding and web pages get 403 on every path, SDKs do not") {
  Fixture f;
  f.config.container_authorization = SecretString("container-token");
  EndpointHandler handler{f.config, [&f] { return f.snapshot; }, f.tokens};
  const std::string token = f.token();
  auto send = [&](std::string method, std::string path, std::vector<HttpHeader> headers) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.headers = std::move(headers);
    return handler.handle(request, kNow);
  };
  // A page whose name was rebound to 127.0.0.1: same-origin to the browser, not to us.
  const HttpHeader rebound{"Host", "attacker.example:9911"};
  CHECK(send("PUT", "/latest/api/token", {rebound}).status == 403);
  CHECK(send("GET", kRolePath, {rebound, {"x-aws-ec2-metadata-token", token}}).status == 403);
  CHECK(send("GET", "/v1/credentials", {rebound, {"Authorization", "container-token"}}).status ==
        403);
  // Any request a page sends with Origin, whatever its Host.
  const HttpResponse from_page = send(
      "GET", kRolePath,
      {{"Host", "127.0.0.1:9911"}, {"Origin", "http://x"}, {"x-aws-ec2-metadata-token", token}});
  CHECK(from_page.status == 403);
  CHECK(from_page.body.find("ASIA") == std::string::npos);
  // What SDKs send.
  for (const char* host : {"127.0.0.1:9911", "localhost:9911", "[::1]:9911"})
    CHECK(send("GET", kRolePath, {{"Host", host}, {"x-aws-ec2-metadata-token", token}}).status ==
          200);
  CHECK(send("GET", kRolePath, {{"x-aws-ec2-metadata-token", token}}).status == 200);  // HTTP/1.0
}

TEST_CASE("serve handler: served off loopback, any Host is answered, but never a web page") {
  Fixture f;
  f.config.any_host = true;
  EndpointHandler handler{f.config, [&f] { return f.snapshot; }, f.tokens};
  const std::string token = f.token();
  HttpRequest request;
  request.method = "GET";
  request.path = kRolePath;
  request.headers = {{"Host", "host.docker.internal:9911"}, {"x-aws-ec2-metadata-token", token}};
  CHECK(handler.handle(request, kNow).status == 200);
  request.headers.push_back({"Origin", "http://host.docker.internal:9911"});
  CHECK(handler.handle(request, kNow).status == 403);
}

TEST_CASE("serve handler: the role name is the last segment of the role ARN") {
  CHECK(role_name_from_arn("arn:aws:iam::123456789012:role/rolesanywhere-test") ==
        "rolesanywhere-test");
  CHECK(role_name_from_arn("arn:aws:iam::123456789012:role/path/to/deep-role") == "deep-role");
}

TEST_CASE("serve documents: control characters and quotes are escaped") {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\n\x01", 7));
  // The same escaping as the credential_process answer (Go's encoding/json).
  CHECK(out == R"("a\"b\\c\n\u0001")");
  CHECK(nlohmann::json::parse(error_json("X", "a \"quoted\" message"))["Message"] ==
        "a \"quoted\" message");
}
