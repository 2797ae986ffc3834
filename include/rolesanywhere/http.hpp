// A plain description of an HTTP request and response, shared by the signer (which reads it),
// the transport (which sends it) and the emulator (which rebuilds it from what it received).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method;               // "POST"
  std::string path;                 // as sent on the request line, without the query: "/sessions"
  std::string query;                // as sent, without '?': "profileArn=...&roleArn=..."
  std::vector<HttpHeader> headers;  // in sending order; names keep their case
  std::string body;

  // First header whose name matches case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
  // The same, without a copy (null when absent): for values that are secrets, such as tokens,
  // which the caller wipes where they are stored.
  const std::string* header_value(std::string_view name) const;
  void set_header(std::string_view name, std::string value);  // replaces all of that name
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace rolesanywhere
