// ARN parsing: the six fields of arn:<partition>:<service>:<region>:<account>:<resource>, with
// a message naming the flag when the text is not an ARN.
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <array>
#include <cctype>
#include <string>

namespace rolesanywhere {

namespace {

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

Arn parse_arn(std::string_view text, std::string_view flag) {
  auto not_an_arn = [&](std::string_view why) -> Error {
    return Error(Error::Kind::kInvalidArgument,
                 (flag.empty() ? "" : std::string(flag) + ": ") + quoted(text) +
                     " is not an ARN (" + std::string(why) +
                     "; expected arn:<partition>:<service>:<region>:<account>:<resource>)");
  };
  // Five separators; the resource keeps any further colons ("...:role/a:b" is legal).
  std::array<std::string_view, 6> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) throw not_an_arn("too few ':'-separated fields");
    fields[i] = text.substr(start, colon - start);
    start = colon + 1;
  }
  fields[5] = text.substr(start);

  if (fields[0] != "arn") throw not_an_arn("it does not start with \"arn:\"");
  if (fields[1].empty()) throw not_an_arn("the partition is empty");
  if (fields[2].empty()) throw not_an_arn("the service is empty");
  if (fields[5].empty()) throw not_an_arn("the resource is empty");
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      throw not_an_arn("it contains whitespace or control characters");

  return Arn{std::string(fields[1]), std::string(fields[2]), std::string(fields[3]),
             std::string(fields[4]), std::string(fields[5])};
}

}  // namespace rolesanywhere
