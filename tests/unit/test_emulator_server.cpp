// The emulator over a real socket: libcurl sends signed requests to the daemon on a free port.
#include "emulator/emulator_server.hpp"
#include "httpd/mhd_api.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"
#include "test_emulator_support.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <microhttpd.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <sstream>

using namespace rolesanywhere;
using namespace rolesanywhere::emulator;

namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const noexcept { curl_easy_cleanup(curl); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

struct Answer {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string headers;  // raw header block
};

std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Sends `request` as it is, to base_url; no proxy, whatever the environment says. On `reused`
// when given, so its connection is kept alive for the next request; else on a fresh handle.
Answer send(const std::string& base_url, const HttpRequest& request,
            const std::string& ca_file = {}, CURL* reused = nullptr) {
  std::unique_ptr<CURL, CurlDeleter> fresh(reused ? nullptr : curl_easy_init());
  CURL* const handle = reused ? reused : fresh.get();
  REQUIRE(handle);
  std::unique_ptr<curl_slist, CurlListDeleter> headers;
  for (const auto& header : request.headers)
    headers.reset(
        curl_slist_append(headers.release(), (header.name + ": " + header.value).c_str()));
  const std::string url =
      base_url + request.path + (request.query.empty() ? "" : "?" + request.query);
  Answer answer;
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROXY, "");
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &append);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &answer.headers);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT, 20L);
  if (!ca_file.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, ca_file.c_str());
  answer.code = curl_easy_perform(handle);
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

HttpRequest plain(const std::string& method, const std::string& path,
                  const std::string& body = {}) {
  HttpRequest request;
  request.method = method;
  request.path = path;
  request.body = body;
  return request;
}

HttpRequest signed_for(std::uint16_t port) {
  emulator_test::SignSpec spec;
  spec.host = "127.0.0.1:" + std::to_string(port);
  return emulator_test::signed_request(spec);
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

bool has_header(const std::string& block, const std::string& line) {
  return block.find(line) != std::string::npos;
}

}  // namespace

TEST_CASE("emulator server: a signed request over HTTP gets 201 with the real response shape") {
  EmulatorServer server(emulator_test::test_config(), {});
  REQUIRE(server.port() != 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  const Answer answer = send(base, signed_for(server.port()));
  REQUIRE(answer.code == CURLE_OK);
  REQUIRE_MESSAGE(answer.status == 201, answer.body);
  const auto body = nlohmann::json::parse(answer.body);
  REQUIRE(body["credentialSet"].size() == 1);
  const auto& entry = body["credentialSet"][0];
  const auto& credentials = entry["credentials"];
  CHECK(credentials["accessKeyId"].get<std::string>().starts_with("ASIA"));
  CHECK(credentials["secretAccessKey"].get<std::string>().size() == 40);
  CHECK_FALSE(credentials["sessionToken"].get<std::string>().empty());
  CHECK(credentials["expiration"].get<std::string>().size() == 20);  // 2026-11-23T09:30:00Z
  CHECK(entry["roleArn"] == kDefaultRoleArn);
  CHECK(entry["assumedRoleUser"]["arn"].get<std::string>().starts_with(
      "arn:aws:sts::123456789012:assumed-role/EmulatorRole/"));
  CHECK(entry["sourceIdentity"].get<std::string>().starts_with("CN="));
  CHECK(entry["subjectArn"] == body["subjectArn"]);
  CHECK(entry.contains("packedPolicySize"));
  CHECK(entry.contains("enrollmentId"));
  CHECK(server.stats().sessions_issued == 1);
}

TEST_CASE("emulator server: a refused request carries x-amzn-ErrorType and a message body") {
  EmulatorServer server(emulator_test::test_config(), {});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  HttpRequest request = signed_for(server.port());
  request.body = R"({"durationSeconds":7200})";  // changed after signing
  const Answer answer = send(base, request);
  REQUIRE(answer.code == CURLE_OK);
  CHECK(answer.status == 403);
  CHECK(has_header(answer.headers, "x-amzn-ErrorType: AccessDeniedException"));
  CHECK(nlohmann::json::parse(answer.body)["message"].get<std::string>().starts_with(
      "Signature verification failed"));
  CHECK(server.stats().rejected == 1);
}

TEST_CASE("emulator server: faults set at run time are injected and then normal service resumes") {
  EmulatorServer server(emulator_test::test_config(), {});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  Answer set =
      send(base, plain("POST", "/_emulator/faults", R"({"fail_count":1,"fail_status":429})"));
  REQUIRE(set.status == 200);
  Answer answer = send(base, signed_for(server.port()));
  CHECK(answer.status == 429);
  CHECK(has_header(answer.headers, "x-amzn-ErrorType: ThrottlingException"));
  CHECK(nlohmann::json::parse(answer.body).contains("message"));
  CHECK(send(base, signed_for(server.port())).status == 201);

  set = send(base, plain("POST", "/_emulator/faults", R"({"drop_connection":true})"));
  REQUIRE(set.status == 200);
  answer = send(base, signed_for(server.port()));
  CHECK(answer.code == CURLE_GOT_NOTHING);

  set = send(
      base, plain("POST", "/_emulator/faults", R"({"drop_connection":false,"garbage_body":true})"));
  answer = send(base, signed_for(server.port()));
  CHECK(answer.status == 201);
  CHECK(nlohmann::json::parse(answer.body, nullptr, false).is_discarded());

  set = send(base, plain("POST", "/_emulator/faults", R"({"fail_status":"x"})"));
  CHECK(set.status == 400);

  const Answer stats = send(base, plain("GET", "/_emulator/stats"));
  REQUIRE(stats.status == 200);
  const auto counts = nlohmann::json::parse(stats.body);
  CHECK(counts["requests"] == 4);
  CHECK(counts["sessions_issued"] == 1);
  CHECK(counts["faults_injected"] == 3);
  CHECK(counts["rejected"] == 0);
}

TEST_CASE("emulator server: faults given at start apply to the first requests") {
  EmulatorServerOptions options;
  options.faults.fail_count = 2;
  options.faults.fail_status = 500;
  EmulatorServer server(emulator_test::test_config(), std::move(options));
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  Answer answer = send(base, signed_for(server.port()));
  CHECK(answer.status == 500);
  CHECK(has_header(answer.headers, "x-amzn-ErrorType: InternalServerException"));
  CHECK(send(base, signed_for(server.port())).status == 500);
  CHECK(send(base, signed_for(server.port())).status == 201);
}

TEST_CASE("emulator server: max_session_seconds shortens the sessions issued") {
  EmulatorConfig config = emulator_test::test_config();
  config.max_session_seconds = 60;
  EmulatorServer server(std::move(config), {});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const Answer answer = send(base, signed_for(server.port()));  // asks for the default hour
  REQUIRE_MESSAGE(answer.status == 201, answer.body);
  const std::string expiration =
      nlohmann::json::parse(answer.body)["credentialSet"][0]["credentials"]["expiration"];
  const auto lifetime = parse_iso8601(expiration) - std::chrono::system_clock::now();
  CHECK(lifetime <= std::chrono::seconds(60));
  CHECK(lifetime > std::chrono::seconds(50));

  EmulatorConfig wrong = emulator_test::test_config();
  wrong.max_session_seconds = -1;
  CHECK_THROWS_WITH_AS(finish_config(wrong), doctest::Contains("--max-session-seconds"), Error);
}

TEST_CASE("emulator server: the injected clock decides staleness") {
  EmulatorServerOptions options;
  options.now = [] { return std::chrono::system_clock::now() + std::chrono::minutes(10); };
  EmulatorServer server(emulator_test::test_config(), std::move(options));
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const Answer answer = send(base, signed_for(server.port()));
  CHECK(answer.status == 403);
  CHECK(answer.body.find("Signature expired") != std::string::npos);
}

TEST_CASE("emulator server: HTTPS with a PEM certificate") {
  if (rolesanywhere::mhd_api().is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    WARN_MESSAGE(false, "SKIPPED: libmicrohttpd was built without TLS");
    return;
  }
  EmulatorServerOptions options;
  options.tls_certificate_pem = read_file(emulator_test::pki_path("server.crt.pem"));
  options.tls_key_pem = read_file(emulator_test::pki_path("server.key.pem"));
  EmulatorServer server(emulator_test::test_config(), std::move(options));
  const std::string base = "https://localhost:" + std::to_string(server.port());
  emulator_test::SignSpec spec;
  spec.host = "localhost:" + std::to_string(server.port());
  const Answer answer =
      send(base, emulator_test::signed_request(spec), emulator_test::pki_path("root-ca.pem"));
  REQUIRE_MESSAGE(answer.code == CURLE_OK, curl_easy_strerror(answer.code));
  CHECK(answer.status == 201);
}

TEST_CASE("emulator server: bytes that are not UTF-8 echoed into a refusal still get a 4xx") {
  EmulatorServer server(emulator_test::test_config(), {});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  HttpRequest bad_date = signed_for(server.port());
  bad_date.set_header("X-Amz-Date", "2026\xff\xfe");
  Answer answer = send(base, bad_date);
  REQUIRE(answer.code == CURLE_OK);
  CHECK(answer.status == 403);
  CHECK(has_header(answer.headers, "x-amzn-ErrorType: AccessDeniedException"));
  // The message still says what was wrong, the stray bytes replaced by U+FFFD.
  const auto message = nlohmann::json::parse(answer.body)["message"].get<std::string>();
  CHECK(message.find("X-Amz-Date '2026\xef\xbf\xbd\xef\xbf\xbd'") != std::string::npos);

  emulator_test::SignSpec spec;
  spec.host = "127.0.0.1:" + std::to_string(server.port());
  spec.profile_arn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/\xff";  // sent as %FF
  answer = send(base, emulator_test::signed_request(spec));
  REQUIRE(answer.code == CURLE_OK);
  CHECK(answer.status >= 400);
  CHECK(answer.status < 500);
  const auto refusal = nlohmann::json::parse(answer.body, nullptr, false);
  REQUIRE(refusal.is_object());
  CHECK(refusal["message"].get<std::string>().find("profile/\xef\xbf\xbd") != std::string::npos);
  CHECK(server.stats().rejected == 2);
}

TEST_CASE("emulator server: counts the connections that carried CreateSession requests") {
  EmulatorServer server(emulator_test::test_config(), {});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  std::unique_ptr<CURL, CurlDeleter> kept(curl_easy_init());
  REQUIRE(kept);
  // A control request opens a connection that carries no CreateSession: not counted.
  CHECK(send(base, plain("GET", "/_emulator/stats")).status == 200);
  CHECK(server.stats().session_connections == 0);
  for (int i = 0; i < 3; ++i)
    CHECK(send(base, signed_for(server.port()), {}, kept.get()).status == 201);
  CHECK(server.stats().requests == 3);
  CHECK(server.stats().session_connections == 1);  // one kept-alive connection
  CHECK(send(base, signed_for(server.port())).status == 201);
  CHECK(server.stats().session_connections == 2);  // a fresh handle connects anew
  const auto stats = nlohmann::json::parse(send(base, plain("GET", "/_emulator/stats")).body);
  CHECK(stats["session_connections"] == 2);
}

TEST_CASE("emulator server: the stats list each session's access key and role, never secrets") {
  EmulatorConfig config = emulator_test::test_config();
  const std::string web = "arn:aws:iam::123456789012:role/web";
  config.other_role_arns = {web};
  EmulatorServer server(std::move(config), {});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  emulator_test::SignSpec spec;
  spec.host = "127.0.0.1:" + std::to_string(server.port());
  const Answer first = send(base, emulator_test::signed_request(spec));
  spec.role_arn = web;
  const Answer second = send(base, emulator_test::signed_request(spec));
  REQUIRE_MESSAGE(first.status == 201, first.body);
  REQUIRE_MESSAGE(second.status == 201, second.body);
  const auto credentials_of = [](const Answer& answer) {
    return nlohmann::json::parse(answer.body)["credentialSet"][0]["credentials"];
  };

  const Answer stats = send(base, plain("GET", "/_emulator/stats"));
  const auto sessions = nlohmann::json::parse(stats.body)["sessions"];
  REQUIRE(sessions.size() == 2);
  CHECK(sessions[0]["access_key_id"] == credentials_of(first)["accessKeyId"]);
  CHECK(sessions[0]["role_arn"] == kDefaultRoleArn);
  CHECK(sessions[0]["expiration"] == credentials_of(first)["expiration"]);
  CHECK(sessions[1]["access_key_id"] == credentials_of(second)["accessKeyId"]);
  CHECK(sessions[1]["role_arn"] == web);
  for (const Answer* answer : {&first, &second}) {
    const auto credentials = credentials_of(*answer);
    CHECK(stats.body.find(credentials["secretAccessKey"].get<std::string>()) == std::string::npos);
    CHECK(stats.body.find(credentials["sessionToken"].get<std::string>()) == std::string::npos);
  }
  CHECK(server.stats().sessions.size() == 2);
}

TEST_CASE("emulator server: a refused role gets 403 while the other roles are served") {
  EmulatorConfig config = emulator_test::test_config();
  const std::string web = "arn:aws:iam::123456789012:role/web";
  config.other_role_arns = {web};
  EmulatorServerOptions options;
  options.faults.refuse_roles = {web};
  EmulatorServer server(std::move(config), std::move(options));
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  emulator_test::SignSpec spec;
  spec.host = "127.0.0.1:" + std::to_string(server.port());
  CHECK(send(base, emulator_test::signed_request(spec)).status == 201);
  spec.role_arn = web;
  const Answer refused = send(base, emulator_test::signed_request(spec));
  CHECK(refused.status == 403);
  CHECK(has_header(refused.headers, "x-amzn-ErrorType: AccessDeniedException"));
  CHECK(server.stats().faults_injected == 1);

  REQUIRE(send(base, plain("POST", "/_emulator/faults", R"({"refuse_roles":[]})")).status == 200);
  CHECK(send(base, emulator_test::signed_request(spec)).status == 201);
  REQUIRE(send(base, plain("POST", "/_emulator/faults", R"({"refuse_roles":[")" + web + R"("]})"))
              .status == 200);
  CHECK(send(base, emulator_test::signed_request(spec)).status == 403);
  CHECK(server.stats().sessions_issued == 2);
}
