// RFC 7512 PKCS#11 URIs through p11-kit: parsing, matching tokens and objects, the PIN they
// carry, and formatting a URI that names exactly one object (for read-certificate-data and
// ambiguity messages).
#include "p11_api.hpp"
#include "pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include <openssl/crypto.h>

namespace rolesanywhere::pkcs11_detail {
namespace {

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

Uri::Uri(const std::string& text, std::string flag)
    : uri_(p11_kit().uri_new(), p11_kit().uri_free), flag_(std::move(flag)) {
  shown_ =
      flag_.empty() ? hide_pkcs11_uri_secrets(text) : flag_ + " " + hide_pkcs11_uri_secrets(text);
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

SecretString read_pin_source(const std::string& source, const std::string& shown_uri,
                             std::chrono::milliseconds timeout) {
  std::string path = source;
  if (path.rfind("file://", 0) == 0 && path.size() > 7 && path[7] == '/')
    path = path.substr(7);
  else if (path.rfind("file:", 0) == 0)
    path = path.substr(5);
  if (path.empty() || path[0] != '/')
    throw Error(Error::Kind::kInvalidArgument,
                shown_uri + ": pin-source " + source +
                    " must be file:/absolute/path (a file holding the PIN)");
  // Read as identity files are: a FIFO (pin-source=file:<(vault ...)) that never delivers
  // gives up after the same bounded time instead of hanging.
  const SecretString bytes =
      identity_detail::read_input_file(path, shown_uri + ": the PIN file " + path, timeout);
  std::string_view text = bytes.reveal();
  // Editors and `echo` end the file with a newline that is not part of the PIN.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  SecretString pin{std::string(text)};
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

}  // namespace rolesanywhere::pkcs11_detail
