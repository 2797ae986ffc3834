// Where CreateSession goes: the regional endpoint of the trust anchor's partition, or what
// --endpoint names (a real endpoint, a VPC endpoint, or the local emulator over plain HTTP).
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"
#include "rolesanywhere/text.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace rolesanywhere {

namespace {

[[noreturn]] void bad_endpoint(std::string_view endpoint, std::string_view why) {
  throw Error(Error::Kind::kInvalidArgument,
              "--endpoint \"" + std::string(endpoint) + "\" " + std::string(why));
}

std::string dns_suffix(const std::string& partition) {
  if (partition == "aws" || partition == "aws-us-gov") return "amazonaws.com";
  if (partition == "aws-cn") return "amazonaws.com.cn";
  throw Error(Error::Kind::kInvalidArgument,
              "--trust-anchor-arn is in partition \"" + partition +
                  "\", whose endpoint is not known; name it with --endpoint");
}

// "https://host[:port][/]", "http://host:port" or a bare "host[:port]" (https assumed).
Endpoint parse_endpoint_override(std::string_view endpoint, const std::string& region) {
  std::string scheme = "https";
  std::string_view rest = endpoint;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    scheme = to_lower(rest.substr(0, sep));
    if (scheme != "https" && scheme != "http") bad_endpoint(endpoint, "must use https or http");
    rest.remove_prefix(sep + 3);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) bad_endpoint(endpoint, "has no host");
  // The signed request path is /sessions; a path prefix here would be sent but not signed.
  if (rest.find_first_of("/?#") != std::string_view::npos)
    bad_endpoint(endpoint, "must be a scheme and host (and port), without a path or query");
  if (rest.find('@') != std::string_view::npos)
    bad_endpoint(endpoint, "must not contain user information");
  for (char c : rest)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      bad_endpoint(endpoint, "contains whitespace or control characters");

  // Split host and port; a bracketed IPv6 literal has colons of its own.
  std::string_view host = rest;
  std::string_view port;
  const auto host_end = rest.front() == '[' ? rest.find(']') : std::string_view::npos;
  if (rest.front() == '[' && host_end == std::string_view::npos)
    bad_endpoint(endpoint, "has an unterminated IPv6 address");
  const auto colon = rest.find(':', host_end == std::string_view::npos ? 0 : host_end);
  if (colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65'535)
      bad_endpoint(endpoint, "has an invalid port");
  }
  if (host.empty()) bad_endpoint(endpoint, "has no host");

  const std::string_view default_port = scheme == "https" ? "443" : "80";
  std::string host_header(host);
  if (!port.empty() && port != default_port) host_header += ":" + std::string(port);
  return Endpoint{scheme + "://" + std::string(rest), host_header, region};
}

}  // namespace

Endpoint resolve_endpoint(const CreateSessionParams& params) {
  const Arn trust_anchor = parse_arn(params.trust_anchor_arn, "--trust-anchor-arn");
  const std::string region = params.region.value_or(trust_anchor.region);
  if (region.empty())
    throw Error(Error::Kind::kInvalidArgument,
                "no region: --trust-anchor-arn has none and --region was not given");

  if (params.endpoint && !params.endpoint->empty())
    return parse_endpoint_override(*params.endpoint, region);

  const std::string host = "rolesanywhere." + region + "." + dns_suffix(trust_anchor.partition);
  return Endpoint{"https://" + host, host, region};
}

}  // namespace rolesanywhere
