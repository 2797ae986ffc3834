// ARNs and where CreateSession goes (src/session/arn.cpp, endpoint.cpp, create_session_params.cpp):
// the values of --trust-anchor-arn, --profile-arn, --role-arn, --region, --endpoint,
// --session-duration and --role-session-name, and the request built from them.
//
// Input: those seven values, one per line, in that order. An empty or missing region or endpoint
// line means the flag was not given; a missing seventh line means no --role-session-name.
//
// Invariants:
//   1. an ARN that parses is its six fields joined by ':' again;
//   2. every failure is Error(kInvalidArgument);
//   3. for parameters validate() accepts, the endpoint is a scheme and a host (with a port)
//      only: no path, query, user information, whitespace or control characters, so nothing
//      unsigned is sent and the request goes to the host the user named; without --endpoint the
//      host is rolesanywhere.<region>.<partition's suffix>; and the request builds.
#include "fuzz_support.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <cctype>
#include <charconv>

using namespace rolesanywhere;

namespace {

void check_invalid_argument(const Error& error) {
  fuzz::check(error.kind() == Error::Kind::kInvalidArgument,
              "bad parameters are Error(kInvalidArgument)", error.what());
}

void check_arn_round_trip(const std::string& text) {
  try {
    const Arn arn = parse_arn(text, "--role-arn");
    fuzz::check("arn:" + arn.partition + ":" + arn.service + ":" + arn.region + ":" + arn.account +
                        ":" + arn.resource ==
                    text,
                "a parsed ARN is its fields joined again", text);
  } catch (const Error& error) {
    check_invalid_argument(error);
  }
}

bool clean(std::string_view text) {
  for (const char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return false;
  return true;
}

void check_endpoint(const CreateSessionParams& params, const Endpoint& endpoint) {
  const std::string& url = endpoint.url;
  const std::size_t scheme_end = url.find("://");
  fuzz::check(url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0,
              "the endpoint URL is https or http", url);
  const std::string_view authority = std::string_view(url).substr(scheme_end + 3);
  fuzz::check(!authority.empty() && authority.find_first_of("/?#@") == std::string_view::npos &&
                  clean(authority),
              "the endpoint URL is a scheme and a host only", url);
  fuzz::check(!endpoint.host.empty() && clean(endpoint.host) &&
                  endpoint.host.find_first_of("/?#@") == std::string::npos,
              "the Host header is a host (and port) only", endpoint.host);
  fuzz::check(!endpoint.region.empty() && clean(endpoint.region), "the signing region is set",
              endpoint.region);
  if (params.region)
    fuzz::check(endpoint.region == *params.region, "--region is the signing region");
  if (!params.endpoint || params.endpoint->empty()) {
    fuzz::check(url == "https://" + endpoint.host, "the default endpoint is https to its host",
                url);
    fuzz::check(endpoint.host == "rolesanywhere." + endpoint.region + ".amazonaws.com" ||
                    endpoint.host == "rolesanywhere." + endpoint.region + ".amazonaws.com.cn",
                "the default host is the regional endpoint", endpoint.host);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = fuzz::as_text(data, size);
  std::vector<std::string> lines;
  while (!rest.empty() && lines.size() < 7) lines.emplace_back(fuzz::take_line(rest));
  lines.resize(std::max<std::size_t>(lines.size(), 6));

  CreateSessionParams params;
  params.trust_anchor_arn = lines[0];
  params.profile_arn = lines[1];
  params.role_arn = lines[2];
  if (!lines[3].empty()) params.region = lines[3];
  if (!lines[4].empty()) params.endpoint = lines[4];
  int duration = 0;
  const auto parsed = std::from_chars(lines[5].data(), lines[5].data() + lines[5].size(), duration);
  params.duration_seconds = parsed.ec == std::errc() ? duration : 3600;
  if (lines.size() > 6) params.role_session_name = lines[6];
  params.labels = {"--trust-anchor-arn", "--profile-arn",       "--role-arn",
                   "--session-duration", "--role-session-name", "--region",
                   "--endpoint",         "--instance-property", "--use-fips-endpoint"};

  for (std::size_t i = 0; i < 3; ++i) check_arn_round_trip(lines[i]);

  // As the command line does it: validate first, then resolve and build.
  bool valid = false;
  try {
    validate(params);
    valid = true;
  } catch (const Error& error) {
    check_invalid_argument(error);
  }
  try {
    const Endpoint endpoint = resolve_endpoint(params);
    if (valid) {
      check_endpoint(params, endpoint);
      const HttpRequest request = build_create_session_request(params, endpoint);
      fuzz::check(request.header("Host") == endpoint.host, "the request goes to the endpoint");
    }
  } catch (const Error& error) {
    check_invalid_argument(error);
  }
  return 0;
}
