// RFC 7512 PKCS#11 URIs through p11-kit: parsing, matching tokens and objects, the PIN they
// carry, and formatting a URI that names exactly one object (for read-certificate-data and
// ambiguity messages).
#include "p11_api.hpp"
#include "pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include <openssl/crypto.h>

namespace rolesanywhere {

bool is_pkcs11_uri(std::string_view value) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (value.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return false;
  return true;
}

namespace pkcs11_detail {
namespace {

constexpr const char* kSupportedAttributes =
    "token, manufacturer, model, serial, slot-id, slot-description, slot-manufacturer, object, "
    "id, type, module-name, module-path, pin-value, pin-source";

// CK_TOKEN_INFO and CK_SLOT_INFO hold blank-padded, unterminated strings.
template <std::size_t N>
void set_padded(unsigned char (&field)[N], const char* value) {
  std::memset(field, ' ', N);
  if (value) std::memcpy(field, value, std::min(N, std::strlen(value)));
}

std::optional<std::string> attribute_bytes(p11_kit_uri* uri, CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE* attribute = p11_kit().uri_get_attribute(uri, type);
  if (!attribute || !attribute->pValue) return std::nullopt;
  return std::string(static_cast<const char*>(attribute->pValue), attribute->ulValueLen);
}

ObjectType type_of_class(CK_OBJECT_CLASS object_class) {
  if (object_class == CKO_CERTIFICATE) return ObjectType::kCertificate;
  if (object_class == CKO_PRIVATE_KEY) return ObjectType::kPrivateKey;
  return ObjectType::kOther;
}

CK_OBJECT_CLASS class_of_type(ObjectType type) {
  return type == ObjectType::kCertificate ? CKO_CERTIFICATE : CKO_PRIVATE_KEY;
}

}  // namespace

std::string describe_unrecognized_attribute(std::string_view uri) {
  // RFC 7512: path attributes are separated by ';', query attributes by '&'.
  constexpr std::string_view kPathNames[] = {"token",
                                             "manufacturer",
                                             "model",
                                             "serial",
                                             "slot-id",
                                             "slot-description",
                                             "slot-manufacturer",
                                             "object",
                                             "id",
                                             "type",
                                             "library-description",
                                             "library-manufacturer",
                                             "library-version",
                                             "pin-value"};
  constexpr std::string_view kQueryNames[] = {"pin-value", "pin-source", "module-name",
                                              "module-path"};
  constexpr std::string_view kObjectTypes[] = {"cert", "private", "public", "secret-key", "data"};
  const auto known = [](std::string_view name, const auto& names) {
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
  };
  const std::string_view rest =
      uri.substr(std::min(uri.size(), std::string_view("pkcs11:").size()));
  const std::size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  const auto first_unknown = [&](std::string_view part, char separator,
                                 const auto& names) -> std::string {
    std::size_t at = 0;
    while (at < part.size()) {
      std::size_t end = part.find(separator, at);
      if (end == std::string_view::npos) end = part.size();
      const std::string_view attribute = part.substr(at, end - at);
      const std::size_t equals = attribute.find('=');
      const std::string_view name = attribute.substr(0, equals);
      if (!name.empty() && !known(name, names))
        return "'" + std::string(name) +
               "' is not an attribute this tool knows; the supported "
               "ones are " +
               kSupportedAttributes;
      // Only the type's value is shown: the others may be labels or, misplaced, a PIN.
      if (name == "type" && equals != std::string_view::npos) {
        const std::string_view value = attribute.substr(equals + 1);
        if (!known(value, kObjectTypes))
          return "type=" + std::string(value) +
                 " is not a PKCS#11 object type; use type=cert for a certificate and "
                 "type=private for a private key";
      }
      at = end + 1;
    }
    return {};
  };
  std::string found = first_unknown(path, ';', kPathNames);
  if (found.empty()) found = first_unknown(query, '&', kQueryNames);
  if (found.empty())
    found = std::string("has an attribute this tool does not know; the supported ones are ") +
            kSupportedAttributes;
  return found;
}

std::string hide_pin_value(const std::string& uri) {
  // Every query value is hidden unless it is one we know to be harmless: a misspelt or
  // upper-case "pin-value" must not put the PIN in a message either.
  constexpr std::string_view kShownQueryNames[] = {"pin-source", "module-name", "module-path"};
  std::string shown = uri;
  const std::size_t query = shown.find('?');
  // pin-value is also accepted in the path part by some tools; hide it there too.
  const std::size_t path_pin = shown.find("pin-value=");
  if (path_pin != std::string::npos && (query == std::string::npos || path_pin < query)) {
    const std::size_t value_start = path_pin + std::string_view("pin-value=").size();
    const std::size_t value_end = shown.find_first_of(";?", value_start);
    shown.replace(value_start,
                  (value_end == std::string::npos ? shown.size() : value_end) - value_start,
                  "<hidden>");
  }
  const std::size_t query_start = shown.find('?');
  if (query_start == std::string::npos) return shown;
  std::size_t at = query_start + 1;
  while (at < shown.size()) {
    std::size_t next = shown.find_first_of("&;", at);
    if (next == std::string::npos) next = shown.size();
    const std::size_t equals = shown.find('=', at);
    if (equals != std::string::npos && equals < next) {
      const std::string_view name(shown.data() + at, equals - at);
      bool harmless = false;
      for (std::string_view known : kShownQueryNames) harmless = harmless || name == known;
      if (!harmless) {
        shown.replace(equals + 1, next - equals - 1, "<hidden>");
        next = equals + 1 + std::string_view("<hidden>").size();
      }
    }
    at = next + 1;
  }
  return shown;
}

Uri::Uri(const std::string& text, std::string flag)
    : uri_(p11_kit().uri_new(), p11_kit().uri_free), flag_(std::move(flag)) {
  shown_ = flag_.empty() ? hide_pin_value(text) : flag_ + " " + hide_pin_value(text);
  if (!uri_) throw Error(Error::Kind::kInternal, "out of memory parsing " + shown_);
  const int result = p11_kit().uri_parse(text.c_str(), P11_KIT_URI_FOR_ANY, uri_.get());
  if (result != P11_KIT_URI_OK)
    throw Error(Error::Kind::kInvalidArgument,
                shown_ + ": not a valid PKCS#11 URI (" + p11_kit().uri_message(result) + ")");
  if (p11_kit().uri_any_unrecognized(uri_.get()))
    throw Error(Error::Kind::kInvalidArgument,
                shown_ + ": " + describe_unrecognized_attribute(text));
  if (p11_kit().uri_get_pin_value(uri_.get()) && p11_kit().uri_get_pin_source(uri_.get()))
    throw Error(Error::Kind::kInvalidArgument, shown_ + ": give pin-value or pin-source, not both");
}

Uri::Uri(Uri&&) noexcept = default;
Uri::~Uri() {
  // p11-kit frees the pin-value without wiping it; wipe it first.
  if (uri_)
    if (const char* pin = p11_kit().uri_get_pin_value(uri_.get()))
      OPENSSL_cleanse(const_cast<char*>(pin), std::strlen(pin));
}

bool Uri::matches_token(PKCS11_SLOT* slot) const {
  if (!slot->token) return false;
  const CK_SLOT_ID wanted_slot = p11_kit().uri_get_slot_id(uri_.get());
  if (wanted_slot != static_cast<CK_SLOT_ID>(-1) &&
      wanted_slot != libp11().get_slotid_from_slot(slot))
    return false;
  CK_TOKEN_INFO token{};
  set_padded(token.label, slot->token->label);
  set_padded(token.manufacturerID, slot->token->manufacturer);
  set_padded(token.model, slot->token->model);
  set_padded(token.serialNumber, slot->token->serialnr);
  if (!p11_kit().uri_match_token_info(uri_.get(), &token)) return false;
  CK_SLOT_INFO slot_info{};
  set_padded(slot_info.slotDescription, slot->description);
  set_padded(slot_info.manufacturerID, slot->manufacturer);
  return p11_kit().uri_match_slot_info(uri_.get(), &slot_info) != 0;
}

ObjectType Uri::type() const {
  auto bytes = attribute_bytes(uri_.get(), CKA_CLASS);
  if (!bytes || bytes->size() != sizeof(CK_OBJECT_CLASS)) return ObjectType::kAny;
  CK_OBJECT_CLASS object_class;
  std::memcpy(&object_class, bytes->data(), sizeof object_class);
  return type_of_class(object_class);
}

bool Uri::names_object() const {
  return attribute_bytes(uri_.get(), CKA_LABEL) || attribute_bytes(uri_.get(), CKA_ID);
}

bool Uri::matches_object(const char* label, const unsigned char* id, std::size_t id_length,
                         ObjectType type) const {
  const ObjectType wanted_type = this->type();
  if (wanted_type != ObjectType::kAny && wanted_type != type) return false;
  if (auto wanted = attribute_bytes(uri_.get(), CKA_LABEL))
    if (*wanted != (label ? std::string(label) : std::string())) return false;
  if (auto wanted = attribute_bytes(uri_.get(), CKA_ID))
    if (*wanted != std::string(reinterpret_cast<const char*>(id), id ? id_length : 0)) return false;
  return true;
}

std::string Uri::module_path() const {
  const char* path = p11_kit().uri_get_module_path(uri_.get());
  return path ? path : "";
}

std::string Uri::module_name() const {
  const char* name = p11_kit().uri_get_module_name(uri_.get());
  return name ? name : "";
}

std::optional<SecretString> Uri::pin() const {
  if (const char* value = p11_kit().uri_get_pin_value(uri_.get())) return SecretString(value);
  if (const char* source = p11_kit().uri_get_pin_source(uri_.get()))
    return read_pin_source(source, shown_);
  return std::nullopt;
}

SecretString read_pin_source(const std::string& source, const std::string& shown_uri) {
  std::string path = source;
  if (path.rfind("file://", 0) == 0 && path.size() > 7 && path[7] == '/')
    path = path.substr(7);
  else if (path.rfind("file:", 0) == 0)
    path = path.substr(5);
  if (path.empty() || path[0] != '/')
    throw Error(Error::Kind::kInvalidArgument,
                shown_uri + ": pin-source " + source +
                    " must be file:/absolute/path (a file holding the PIN)");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw Error(Error::Kind::kInput, shown_uri + ": cannot read the PIN file " + path + " (" +
                                         std::strerror(errno) + ")");
  std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  // Editors and `echo` end the file with a newline that is not part of the PIN.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  SecretString pin(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (pin.empty())
    throw Error(Error::Kind::kInput, shown_uri + ": the PIN file " + path + " is empty");
  return pin;
}

std::string object_uri(PKCS11_TOKEN* token, const char* label, const unsigned char* id,
                       std::size_t id_length, ObjectType type) {
  std::unique_ptr<p11_kit_uri, void (*)(p11_kit_uri*)> uri(p11_kit().uri_new(), p11_kit().uri_free);
  CK_TOKEN_INFO* info = p11_kit().uri_get_token_info(uri.get());
  set_padded(info->label, token->label);
  set_padded(info->manufacturerID, token->manufacturer);
  set_padded(info->model, token->model);
  set_padded(info->serialNumber, token->serialnr);
  CK_OBJECT_CLASS object_class = class_of_type(type);
  CK_ATTRIBUTE class_attribute{CKA_CLASS, &object_class, sizeof object_class};
  p11_kit().uri_set_attribute(uri.get(), &class_attribute);
  if (id && id_length) {
    CK_ATTRIBUTE id_attribute{CKA_ID, const_cast<unsigned char*>(id), id_length};
    p11_kit().uri_set_attribute(uri.get(), &id_attribute);
  }
  if (label && *label) {
    CK_ATTRIBUTE label_attribute{CKA_LABEL, const_cast<char*>(label), std::strlen(label)};
    p11_kit().uri_set_attribute(uri.get(), &label_attribute);
  }
  char* text = nullptr;
  if (p11_kit().uri_format(uri.get(), P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &text) != P11_KIT_URI_OK)
    return "pkcs11:token=" + std::string(token->label ? token->label : "");
  std::string formatted(text);
  std::free(text);
  return formatted;
}

}  // namespace pkcs11_detail
}  // namespace rolesanywhere
