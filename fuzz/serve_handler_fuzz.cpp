// serve's request handler (src/serve/endpoint_handler.hpp): every method, path and header a
// local client can send, through IMDSv2's token dance and the container path.
//
// Input: up to 16 HTTP requests as they arrive on the socket ("PUT /latest/api/token HTTP/1.1",
// header lines, an empty line), one after the other, one second apart. A header value
// "{token}" is replaced by the token the latest successful PUT returned, so the fuzzer reaches
// the paths behind a live token. Each sequence runs twice: on a loopback endpoint with valid
// credentials and the container path enabled, and on an --allow-non-loopback endpoint that has
// no credentials yet.
//
// Invariants:
//   1. a status is 200, 400, 401, 403, 404, 405 or 503, and no header carries a line break;
//   2. the secret access key leaves only in a 200 to a GET that presented a live IMDS token or
//      the container token, and never to a request with an Origin header;
//   3. a token PUT answered 200 returns a 64-character token.
#include "fuzz_support.hpp"
#include "serve/endpoint_handler.hpp"

#include <set>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;

namespace {

const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));
constexpr const char* kSecret = "fuzzSecretAccessKey/serve+handler";
constexpr const char* kContainerToken = "container-token-for-fuzzing-0001";

struct Endpoint {
  TokenStore tokens{8};
  CredentialsSnapshot snapshot;
  EndpointHandler handler;

  Endpoint(EndpointConfig config, CredentialsSnapshot initial)
      : snapshot(std::move(initial)),
        handler(
            std::move(config), [this] { return snapshot; }, tokens) {}
};

CredentialsSnapshot valid_credentials() {
  return {std::make_shared<const Credentials>(Credentials{
              "ASIAFUZZEXAMPLE00001", SecretString(kSecret),
              SecretString("FwoGZXIvYXdzEFuzzSessionToken"), kStart + std::chrono::hours(1)}),
          kStart - std::chrono::minutes(1), std::nullopt};
}

bool has_line_break(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void run_sequence(std::string_view input, Endpoint& endpoint) {
  std::string latest_token;
  std::set<std::string> issued;
  for (int i = 0; i < 16 && !input.empty(); ++i) {
    fuzz::WireRequest wire = fuzz::read_wire_request(input, /*with_body=*/false);
    HttpRequest& request = wire.request;
    for (HttpHeader& header : request.headers)
      if (header.value == "{token}") header.value = latest_token;
    const TimePoint now = kStart + std::chrono::seconds(i);

    const HttpResponse response = endpoint.handler.handle(request, now);

    static const std::set<long> kStatuses = {200, 400, 401, 403, 404, 405, 503};
    fuzz::check(kStatuses.count(response.status) == 1, "the status is one the endpoint uses",
                std::to_string(response.status));
    for (const HttpHeader& header : response.headers)
      fuzz::check(!has_line_break(header.name) && !has_line_break(header.value),
                  "no response header carries a line break", header.name + ": " + header.value);

    if (response.body.find(kSecret) != std::string::npos) {
      const std::string* token = request.header_value(kTokenHeader);
      const std::string* authorization = request.header_value("Authorization");
      const bool live_token = token && issued.count(*token) == 1;
      const bool container_token = authorization && *authorization == kContainerToken;
      fuzz::check(response.status == 200 && request.method == "GET" &&
                      (live_token || container_token) && !request.header_value("Origin"),
                  "credentials go only to a GET with a live token and no Origin",
                  request.method + " " + request.path);
    }
    if (request.method == "PUT" && response.status == 200) {
      fuzz::check(response.body.size() == 64, "a token is 64 characters", response.body);
      latest_token = response.body;
      issued.insert(response.body);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);

  Endpoint loopback(
      EndpointConfig{"rolesanywhere-fuzz", SecretString(kContainerToken), "/v1/credentials", false},
      valid_credentials());
  run_sequence(input, loopback);

  Endpoint any_host(EndpointConfig{"rolesanywhere-fuzz", std::nullopt, "/v1/credentials", true},
                    CredentialsSnapshot{nullptr, {}, "AccessDeniedException: untrusted"});
  run_sequence(input, any_host);
  return 0;
}
