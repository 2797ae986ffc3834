#include "argv_secrets.hpp"

#include "rolesanywhere/pkcs11.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

namespace rolesanywhere::cli {

namespace {

constexpr std::string_view kSecretFlags[] = {"--pkcs8-password", "--tpm-key-password"};

bool is_secret_flag(std::string_view argument) {
  return std::find(std::begin(kSecretFlags), std::end(kSecretFlags), argument) !=
         std::end(kSecretFlags);
}

// The parts of one argument that are secret whatever came before it, in order, not overlapping.
// A flag's '=' form counts with any number of dashes: a typo ("---pkcs8-password=X", or
// "-private-key=pkcs11:...") still carries the password or PIN, and a message may show it (an
// argument after "--" is shown whole).
std::vector<Pkcs11UriSpan> secret_spans(std::string_view argument) {
  std::size_t start = 0;  // where a URI may begin: the argument, or its text after a flag's '='
  if (argument.starts_with('-'))
    if (const std::size_t equals = argument.find('='); equals != std::string_view::npos) {
      const std::string_view flag_part = argument.substr(0, equals);
      const std::size_t dashes = flag_part.find_first_not_of('-');
      const std::string_view name =
          dashes == std::string_view::npos ? std::string_view() : flag_part.substr(dashes);
      for (std::string_view flag : kSecretFlags)
        if (name == flag.substr(2) && equals + 1 < argument.size())
          return {{equals + 1, argument.size() - equals - 1}};
      start = equals + 1;
    }
  const std::string_view value = argument.substr(start);
  std::vector<Pkcs11UriSpan> spans;
  if (is_pkcs11_uri(value))
    for (const Pkcs11UriSpan& span : pkcs11_uri_secret_spans(value))
      spans.push_back({start + span.offset, span.length});
  return spans;
}

}  // namespace

void hide_secret_arguments(int argc, char** argv) {
  // Whether an argument follows a password flag is decided on the text as it was: in
  // "--pkcs8-password --pkcs8-password hunter2" the second flag is blanked as the first's value
  // and must still blank hunter2 (cxxopts leaves it stray, and messages hide it).
  bool after_secret_flag = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    const bool secret_flag = is_secret_flag(argument);
    if (after_secret_flag)
      std::memset(argv[i], '*', argument.size());
    else
      for (const Pkcs11UriSpan& span : secret_spans(argument))
        std::memset(argv[i] + span.offset, '*', span.length);
    after_secret_flag = secret_flag;
  }
}

std::string shown_argument(std::string_view argument) {
  std::string shown;
  std::size_t at = 0;
  for (const Pkcs11UriSpan& span : secret_spans(argument)) {
    shown.append(argument.substr(at, span.offset - at)).append("<hidden>");
    at = span.offset + span.length;
  }
  return shown.append(argument.substr(at));
}

std::string shown_stray_argument(std::string_view argument, int argc, const char* const* argv) {
  for (int i = 2; i < argc; ++i)
    if (argument == argv[i] && is_secret_flag(argv[i - 1])) return "<hidden>";
  return shown_argument(argument);
}

}  // namespace rolesanywhere::cli
