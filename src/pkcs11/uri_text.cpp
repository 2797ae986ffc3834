// A pkcs11: URI's text read the way p11-kit's parser (p11_kit_uri_parse) reads it, without
// loading p11-kit: the command line hides PINs in argv before any library is loaded, and a
// message must hide what p11-kit takes for the PIN however the URI spells it. Nothing here
// decides what a URI means; it only finds which text p11-kit reads as which attribute.
#include "pkcs11_detail.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace rolesanywhere {
namespace {

// P11_URL_WHITESPACE: p11-kit removes these from the whole URI before reading it (RFC 7512
// and RFC 3986 let a URI be wrapped). Tabs and form feeds stay, and make a name it does not know.
constexpr std::string_view kUriWhitespace = " \n\r\v";

bool is_uri_whitespace(char c) { return kUriWhitespace.find(c) != std::string_view::npos; }

// The path attributes that name a token, slot, library or object (RFC 7512 and p11-kit's
// aliases): never secret, and what tells URIs apart in a message.
constexpr std::string_view kNamingAttributes[] = {"token",
                                                  "manufacturer",
                                                  "model",
                                                  "serial",
                                                  "slot-id",
                                                  "slot-description",
                                                  "slot-manufacturer",
                                                  "object",
                                                  "id",
                                                  "type",
                                                  "object-type",
                                                  "objecttype",
                                                  "library-description",
                                                  "library-manufacturer",
                                                  "library-version"};
// Shown too: where the PIN or the module comes from, not the PIN. Every other value is hidden:
// pin-value, and any name p11-kit does not know, which may be a misspelt or percent-encoded
// pin-value that a person meant as the PIN.
constexpr std::string_view kShownSources[] = {"pin-source", "pinfile", "module-name",
                                              "module-path"};

template <std::size_t N>
bool is_one_of(std::string_view name, const std::string_view (&names)[N]) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

bool may_hold_secret(const pkcs11_detail::UriAttribute& attribute) {
  // Not name=value: p11-kit refuses the URI, and the text may be a piece of a PIN that held a
  // separator ("pin-value=12?34").
  if (!attribute.has_value) return true;
  // Another attribute joined on with the separator of the other part ("object=x&pin-value=1"
  // is a label to p11-kit): p11-kit's own URIs percent-encode '=' inside values.
  if (attribute.value.find('=') != std::string::npos) return true;
  return !is_one_of(attribute.name, kNamingAttributes) && !is_one_of(attribute.name, kShownSources);
}

}  // namespace

bool is_pkcs11_uri(std::string_view value) {
  constexpr std::string_view kScheme = "pkcs11:";
  std::size_t matched = 0;
  for (char c : value) {
    if (matched == kScheme.size()) break;
    if (is_uri_whitespace(c)) continue;
    if (std::tolower(static_cast<unsigned char>(c)) != kScheme[matched]) return false;
    ++matched;
  }
  return matched == kScheme.size();
}

std::vector<Pkcs11UriSpan> pkcs11_uri_secret_spans(std::string_view uri) {
  std::vector<Pkcs11UriSpan> spans;
  for (const pkcs11_detail::UriAttribute& attribute : pkcs11_detail::uri_attributes(uri))
    if (attribute.end > attribute.begin && may_hold_secret(attribute))
      spans.push_back({attribute.begin, attribute.end - attribute.begin});
  return spans;
}

std::string hide_pkcs11_uri_secrets(std::string_view uri) {
  std::string shown(uri);
  const std::vector<Pkcs11UriSpan> spans = pkcs11_uri_secret_spans(uri);
  // From the last: replacing a span does not move the ones before it.
  for (auto span = spans.rbegin(); span != spans.rend(); ++span)
    shown.replace(span->offset, span->length, "<hidden>");
  return shown;
}

namespace pkcs11_detail {

std::vector<UriAttribute> uri_attributes(std::string_view uri) {
  // The text p11-kit reads, and where each of its characters is in `uri`.
  std::string text;
  std::vector<std::size_t> origin;
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (is_uri_whitespace(uri[i])) continue;
    text += uri[i];
    origin.push_back(i);
  }
  std::vector<UriAttribute> attributes;
  const auto add = [&](std::size_t begin, std::size_t end, bool in_query) {
    UriAttribute attribute;
    attribute.in_query = in_query;
    const std::size_t equals = text.find('=', begin);
    std::size_t value_begin = begin;
    if (equals < end) {
      attribute.name = text.substr(begin, equals - begin);
      attribute.value = text.substr(equals + 1, end - equals - 1);
      attribute.has_value = true;
      value_begin = equals + 1;
    } else {
      attribute.name = text.substr(begin, end - begin);
    }
    if (value_begin < end) {
      attribute.begin = origin[value_begin];
      attribute.end = origin[end - 1] + 1;
    } else {
      attribute.begin = attribute.end = origin[equals] + 1;
    }
    attributes.push_back(std::move(attribute));
  };

  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) return attributes;
  std::size_t at = colon + 1;
  // The path: attributes separated by ';', up to '?'. An empty attribute ends it, and p11-kit
  // then reads what follows as the query ("pkcs11:a=b;;pin-value=1" has a PIN).
  while (at < text.size()) {
    const std::size_t end = std::min(text.find_first_of(";?", at), text.size());
    if (end == at) break;
    add(at, end, false);
    at = end;
    if (at == text.size() || text[at] == '?') break;
    ++at;
  }
  // The query: one separator skipped, then attributes separated by '&' only, so a ';' or '?'
  // there is part of a value ("?pin-value=12;34" is the PIN "12;34").
  while (at < text.size()) {
    ++at;
    const std::size_t end = std::min(text.find('&', at), text.size());
    if (end > at) add(at, end, true);  // p11-kit refuses an empty one in the middle
    at = end;
  }
  return attributes;
}

std::string describe_unrecognized_attribute(std::string_view uri) {
  constexpr const char* kSupportedAttributes =
      "token, manufacturer, model, serial, slot-id, slot-description, slot-manufacturer, object, "
      "id, type, module-name, module-path, pin-value, pin-source";
  // What p11-kit recognises in each part (pin-value and pin-source in the path for backward
  // compatibility); RFC 7512 lets vendors add query attributes, which it ignores.
  // In the path too, for backward compatibility.
  constexpr std::string_view kPathPinNames[] = {"pin-value", "pin-source", "pinfile"};
  constexpr std::string_view kQueryNames[] = {"pin-value", "pin-source", "pinfile", "module-name",
                                              "module-path"};
  constexpr std::string_view kTypeNames[] = {"type", "object-type", "objecttype"};
  constexpr std::string_view kObjectTypes[] = {"cert",       "private",   "public",
                                               "secret-key", "secretkey", "data"};
  for (const UriAttribute& attribute : uri_attributes(uri)) {
    if (!attribute.has_value) continue;
    const bool known = attribute.in_query ? is_one_of(attribute.name, kQueryNames)
                                          : is_one_of(attribute.name, kNamingAttributes) ||
                                                is_one_of(attribute.name, kPathPinNames);
    if (!known)
      return "'" + attribute.name +
             "' is not an attribute this tool knows; the supported ones are " +
             kSupportedAttributes;
    // Only the type's value is shown: the others may be labels or, misplaced, a PIN.
    if (is_one_of(attribute.name, kTypeNames) && !is_one_of(attribute.value, kObjectTypes))
      return attribute.name + "=" + attribute.value +
             " is not a PKCS#11 object type; use type=cert for a certificate and "
             "type=private for a private key";
  }
  return std::string("has an attribute this tool does not know; the supported ones are ") +
         kSupportedAttributes;
}

}  // namespace pkcs11_detail
}  // namespace rolesanywhere
