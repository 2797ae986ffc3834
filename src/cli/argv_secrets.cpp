#include "argv_secrets.hpp"

#include "rolesanywhere/pkcs11.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

namespace rolesanywhere::cli {

namespace {

constexpr std::string_view kSecretFlagNames[] = {"pkcs8-password", "tpm-key-password"};

// Where a flag's name starts: after its leading dashes, any number of them, an en or em dash
// pasted from a document included (a typo still carries the password or PIN after it); 0 when
// the argument starts with none.
std::size_t after_dashes(std::string_view argument) {
  std::size_t at = 0;
  while (true) {
    if (argument.substr(at).starts_with('-'))
      at += 1;
    else if (argument.substr(at).starts_with("\xe2\x80\x93") ||
             argument.substr(at).starts_with("\xe2\x80\x94"))
      at += 3;
    else
      return at;
  }
}

// --pkcs8-password or --tpm-key-password, however many dashes it is written with.
bool is_secret_flag(std::string_view argument) {
  const std::size_t name = after_dashes(argument);
  return name > 0 && is_secret_flag_name(argument.substr(name));
}

// The parts of one argument that are secret whatever came before it, in order, not overlapping:
// the value of a password flag's '=' form, or the PIN of a pkcs11: URI given alone or after the
// first '=' (--private-key=URI, mistyped or not: an argument after "--" is shown whole).
std::vector<Pkcs11UriSpan> secret_spans(std::string_view argument) {
  const std::size_t equals = argument.find('=');
  if (const std::size_t name = after_dashes(argument);
      name > 0 && equals != std::string_view::npos && equals + 1 < argument.size() &&
      is_secret_flag_name(argument.substr(name, equals - name)))
    return {{equals + 1, argument.size() - equals - 1}};
  // Where the URI begins: the argument, else its text after the first '=' (none without one).
  const std::size_t start = is_pkcs11_uri(argument)            ? 0
                            : equals == std::string_view::npos ? argument.size()
                                                               : equals + 1;
  const std::string_view value = argument.substr(start);
  std::vector<Pkcs11UriSpan> spans;
  if (start == 0 || is_pkcs11_uri(value))
    for (const Pkcs11UriSpan& span : pkcs11_uri_secret_spans(value))
      spans.push_back({start + span.offset, span.length});
  return spans;
}

}  // namespace

bool is_secret_flag_name(std::string_view name) {
  return std::find(std::begin(kSecretFlagNames), std::end(kSecretFlagNames), name) !=
         std::end(kSecretFlagNames);
}

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
