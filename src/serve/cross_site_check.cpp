#include "cross_site_check.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace rolesanywhere::serve {

namespace {

bool is_port(std::string_view text) {
  return !text.empty() && text.size() <= 5 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool parses_as(int family, std::string_view text) {
  unsigned char address[16];
  return ::inet_pton(family, std::string(text).c_str(), address) == 1;
}

bool is_localhost(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);  // the fully qualified spelling
  return name.size() == 9 && std::equal(name.begin(), name.end(), "localhost", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

}  // namespace

bool host_is_address_or_localhost(std::string_view host) {
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = host.substr(close + 1);
    std::string_view address = host.substr(1, close - 1);
    address = address.substr(0, address.find('%'));  // a zone id ("%25eth0") names no host
    return parses_as(AF_INET6, address) &&
           (rest.empty() || (rest.front() == ':' && is_port(rest.substr(1))));
  }
  std::string_view name = host;
  if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (!is_port(host.substr(colon + 1))) return false;
    name = host.substr(0, colon);
  }
  return parses_as(AF_INET, name) || is_localhost(name);
}

std::optional<HttpResponse> cross_site_refusal(const HttpRequest& request, bool any_host) {
  const std::string* host = request.header_value("Host");
  if ((host && !any_host && !host_is_address_or_localhost(*host)) ||
      request.header_value("Origin")) {
    HttpResponse refusal;
    refusal.status = 403;
    refusal.headers.push_back({"Content-Type", "text/plain"});
    refusal.body =
        "refused: the endpoint answers requests addressed to an IP address or localhost, and none "
        "from web pages";
    return refusal;
  }
  return std::nullopt;
}

}  // namespace rolesanywhere::serve
