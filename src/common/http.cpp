#include "rolesanywhere/http.hpp"

#include <algorithm>
#include <cctype>

namespace rolesanywhere {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

namespace {
const std::string* find_header(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const auto& header : headers)
    if (iequals(header.name, name)) return &header.value;
  return nullptr;
}

std::optional<std::string> copy_of(const std::string* value) {
  return value ? std::optional<std::string>(*value) : std::nullopt;
}
}  // namespace

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  return copy_of(find_header(headers, name));
}

const std::string* HttpRequest::header_value(std::string_view name) const {
  return find_header(headers, name);
}

void HttpRequest::set_header(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const HttpHeader& h) { return iequals(h.name, name); });
  headers.push_back({std::string(name), std::move(value)});
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  return copy_of(find_header(headers, name));
}

}  // namespace rolesanywhere
