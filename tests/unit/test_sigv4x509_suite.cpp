// Runs the aws-c-auth SigV4 test suite (../shared/sigv4-test-suite/v4) through our
// canonicalisation. SigV4-X509 canonicalises exactly as SigV4, so every case's
// header-canonical-request.txt must match byte for byte, and header-string-to-sign.txt must match
// once its algorithm line is replaced by the X.509 one.
#include "rolesanywhere/sigv4x509.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace sv = rolesanywhere::sigv4x509;
using rolesanywhere::HttpRequest;

namespace {

// The suite as committed holds 38 cases; fewer means the copy is damaged or the walk broke.
constexpr int kMinimumSuiteCases = 38;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// request.txt: "METHOD TARGET HTTP/1.1", header lines (a line starting with whitespace
// continues the previous value: obsolete line folding), an empty line, then the body verbatim.
// The target may itself hold spaces ("/example space/"), so it runs from the first space to the
// last one.
HttpRequest parse_request_txt(const std::string& text) {
  HttpRequest request;
  std::size_t position = 0;
  auto next_line = [&]() -> std::optional<std::string> {
    if (position >= text.size()) return std::nullopt;
    auto end = text.find('\n', position);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(position, end - position);
    position = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  };

  const auto request_line = next_line().value();
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  REQUIRE(first_space != std::string::npos);
  REQUIRE(last_space > first_space);
  request.method = request_line.substr(0, first_space);
  const auto target = request_line.substr(first_space + 1, last_space - first_space - 1);
  const auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);

  while (auto line = next_line()) {
    if (line->empty()) break;
    if (line->front() == ' ' || line->front() == '\t') {
      // Unfolding keeps the continuation's own leading spaces; canonicalisation must fold them.
      REQUIRE_FALSE(request.headers.empty());
      request.headers.back().value += *line;
      continue;
    }
    const auto colon = line->find(':');
    REQUIRE_MESSAGE(colon != std::string::npos, "header line without ':': " << *line);
    request.headers.push_back({line->substr(0, colon), line->substr(colon + 1)});
  }
  if (position < text.size()) request.body = text.substr(position);
  return request;
}

rolesanywhere::TimePoint parse_timestamp(const std::string& iso) {
  std::tm fields{};
  std::istringstream in(iso);
  in >> std::get_time(&fields, "%Y-%m-%dT%H:%M:%SZ");
  REQUIRE_MESSAGE(!in.fail(), "bad timestamp " << iso);
  return std::chrono::system_clock::from_time_t(timegm(&fields));
}

std::string replace_first_line(const std::string& text, std::string_view first_line) {
  const auto newline = text.find('\n');
  REQUIRE(newline != std::string::npos);
  return std::string(first_line) + text.substr(newline);
}

}  // namespace

TEST_CASE("sigv4x509: aws-c-auth SigV4 suite canonical requests and strings to sign") {
  const fs::path suite_dir = SIGV4_SUITE_DIR;
  if (!fs::is_directory(suite_dir)) {
    WARN_MESSAGE(false, "SKIPPED: SigV4 test suite not found at " << suite_dir.string()
                                                                  << "; nothing was checked");
    return;
  }

  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(suite_dir))
    if (entry.is_directory() && fs::exists(entry.path() / "request.txt"))
      cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());

  int checked = 0;
  for (const auto& dir : cases) {
    const auto name = dir.filename().string();
    INFO("suite case: " << name);
    const auto context = nlohmann::json::parse(read_file(dir / "context.json"));
    auto request = parse_request_txt(read_file(dir / "request.txt"));
    const auto now = parse_timestamp(context.at("timestamp").get<std::string>());

    // Headers the suite's signer adds before canonicalising, which its expected files include.
    request.headers.push_back({"X-Amz-Date", sv::amz_date(now)});
    if (context.value("sign_body", false))
      request.headers.push_back({"X-Amz-Content-Sha256", sv::hex_sha256(request.body)});
    const auto& credentials = context.at("credentials");
    if (credentials.contains("token")) {
      if (context.value("omit_session_token", false)) {
        MESSAGE(name << ": session token is added after signing in this case, so it is left out "
                        "of the canonical request (omit_session_token)");
      } else {
        MESSAGE(name << ": signing X-Amz-Security-Token as the suite's signer does (context.json "
                        "holds a session token)");
        request.headers.push_back(
            {"X-Amz-Security-Token", credentials.at("token").get<std::string>()});
      }
    }

    sv::CanonicalOptions options;
    options.normalize_path = context.at("normalize").get<bool>();
    const auto canonical = sv::canonical_request(request, options);
    CHECK(canonical == read_file(dir / "header-canonical-request.txt"));

    const auto scope =
        sv::credential_scope(sv::scope_date(now), context.at("region").get<std::string>(),
                             context.at("service").get<std::string>());
    const auto expected_sts = read_file(dir / "header-string-to-sign.txt");
    for (auto algorithm : {sv::Algorithm::kRsaSha256, sv::Algorithm::kEcdsaSha256}) {
      CHECK(sv::string_to_sign(algorithm, sv::amz_date(now), scope, canonical) ==
            replace_first_line(expected_sts, sv::algorithm_name(algorithm)));
    }
    ++checked;
  }
  MESSAGE("SigV4 suite: " << checked << " cases checked from " << suite_dir.string());
  REQUIRE(checked >= kMinimumSuiteCases);
}
