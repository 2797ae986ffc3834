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

// What a message calls a parameter: its flag when the caller named one, else `noun`.
std::string named(const std::string& flag, std::string_view noun) {
  return flag.empty() ? std::string(noun) : flag;
}

[[noreturn]] void bad_endpoint(const SessionLabels& labels, std::string_view endpoint,
                               std::string_view why) {
  throw Error(Error::Kind::kInvalidArgument, named(labels.endpoint, "the endpoint") + " \"" +
                                                 std::string(endpoint) + "\" " + std::string(why));
}

std::string dns_suffix(const std::string& partition, const SessionLabels& labels) {
  if (partition == "aws" || partition == "aws-us-gov") return "amazonaws.com";
  if (partition == "aws-cn") return "amazonaws.com.cn";
  throw Error(Error::Kind::kInvalidArgument,
              named(labels.trust_anchor_arn, "the trust anchor ARN") + " is in partition \"" +
                  partition + "\", whose endpoint is not known; name it" +
                  (labels.endpoint.empty() ? " explicitly" : " with " + labels.endpoint));
}

// "https://host[:port][/]", "http://host:port" or a bare "host[:port]" (https assumed).
Endpoint parse_endpoint_override(std::string_view endpoint, const std::string& region,
                                 const SessionLabels& labels) {
  std::string scheme = "https";
  std::string_view rest = endpoint;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    scheme = to_lower(rest.substr(0, sep));
    if (scheme != "https" && scheme != "http")
      bad_endpoint(labels, endpoint, "must use https or http");
    rest.remove_prefix(sep + 3);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) bad_endpoint(labels, endpoint, "has no host");
  // The signed request path is /sessions; a path prefix here would be sent but not signed.
  if (rest.find_first_of("/?#") != std::string_view::npos)
    bad_endpoint(labels, endpoint, "must be a scheme and host (and port), without a path or query");
  if (rest.find('@') != std::string_view::npos)
    bad_endpoint(labels, endpoint, "must not contain user information");
  for (char c : rest)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      bad_endpoint(labels, endpoint, "contains whitespace or control characters");

  // Split host and port; a bracketed IPv6 literal has colons of its own.
  std::string_view host = rest;
  std::string_view port;
  const auto host_end = rest.front() == '[' ? rest.find(']') : std::string_view::npos;
  if (rest.front() == '[' && host_end == std::string_view::npos)
    bad_endpoint(labels, endpoint, "has an unterminated IPv6 address");
  const auto colon = rest.find(':', host_end == std::string_view::npos ? 0 : host_end);
  if (colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65'535)
      bad_endpoint(labels, endpoint, "has an invalid port");
  }
  if (host.empty()) bad_endpoint(labels, endpoint, "has no host");

  const std::string_view default_port = scheme == "https" ? "443" : "80";
  std::string host_header(host);
  if (!port.empty() && port != default_port) host_header += ":" + std::string(port);
  return Endpoint{scheme + "://" + std::string(rest), host_header, region};
}

// The partitions whose IAM Roles Anywhere has FIPS endpoints (the service's endpoint list:
// the US regions of aws, and aws-us-gov); aws-cn has none.
bool has_fips_endpoints(const std::string& partition) {
  return partition == "aws" || partition == "aws-us-gov";
}

}  // namespace

Endpoint resolve_endpoint(const CreateSessionParams& params) {
  const SessionLabels& labels = params.labels;
  const std::string trust_anchor_name = named(labels.trust_anchor_arn, "the trust anchor ARN");
  const Arn trust_anchor = parse_arn(params.trust_anchor_arn, trust_anchor_name);
  const std::string region = params.region.value_or(trust_anchor.region);
  if (region.empty())
    throw Error(
        Error::Kind::kInvalidArgument,
        "no region: " + trust_anchor_name + " has none and " +
            (labels.region.empty() ? "no region was given" : labels.region + " was not given"));

  // An explicit endpoint wins over the FIPS choice: it may be a FIPS VPC endpoint already.
  if (params.endpoint && !params.endpoint->empty())
    return parse_endpoint_override(*params.endpoint, region, labels);

  const std::string suffix = dns_suffix(trust_anchor.partition, labels);
  if (params.use_fips_endpoint && !has_fips_endpoints(trust_anchor.partition))
    throw Error(Error::Kind::kInvalidArgument,
                named(labels.use_fips_endpoint, "the FIPS endpoint") + ": " + trust_anchor_name +
                    " is in partition \"" + trust_anchor.partition +
                    "\", where IAM Roles Anywhere has no FIPS endpoint (only aws and aws-us-gov "
                    "have them)" +
                    (labels.endpoint.empty() ? "" : "; name one with " + labels.endpoint));
  const std::string service = params.use_fips_endpoint ? "rolesanywhere-fips." : "rolesanywhere.";
  const std::string host = service + region + "." + suffix;
  return Endpoint{"https://" + host, host, region};
}

}  // namespace rolesanywhere
