#include "tss2_key_file.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/openssl_ptr.hpp"
#include "rolesanywhere/tpm.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstring>

namespace rolesanywhere {
namespace tpm_detail {
namespace {

constexpr std::string_view kPemName = "TSS2 PRIVATE KEY";
// 2.23.133.10.1 (the TCG's key file arc) as DER content bytes; the last byte says which kind.
constexpr std::array<unsigned char, 5> kTpmKeyArc{0x67, 0x81, 0x05, 0x0a, 0x01};
constexpr unsigned char kLoadableKey = 0x03;
constexpr unsigned char kImportableKey = 0x04;
constexpr unsigned char kSealedData = 0x05;

constexpr unsigned char kSequence = 0x30;
constexpr unsigned char kObjectIdentifier = 0x06;
constexpr unsigned char kInteger = 0x02;
constexpr unsigned char kOctetString = 0x04;
constexpr unsigned char kBoolean = 0x01;
constexpr unsigned char kEmptyAuthTag = 0xa0;  // [0] EXPLICIT, constructed

struct Tlv {
  unsigned char tag = 0;
  std::string_view body;
};

// Reads one DER element after another from `rest`; nullopt when the next one is malformed
// (indefinite or oversized length, running past the end).
class DerReader {
 public:
  explicit DerReader(std::string_view bytes) : rest_(bytes) {}
  bool done() const noexcept { return rest_.empty(); }
  std::optional<unsigned char> peek_tag() const {
    if (rest_.empty()) return std::nullopt;
    return static_cast<unsigned char>(rest_[0]);
  }
  std::optional<Tlv> next() {
    if (rest_.size() < 2) return std::nullopt;
    const auto tag = static_cast<unsigned char>(rest_[0]);
    std::size_t length = static_cast<unsigned char>(rest_[1]);
    std::size_t header = 2;
    if (length & 0x80) {
      const std::size_t octets = length & 0x7f;
      if (octets == 0 || octets > 4 || rest_.size() < 2 + octets) return std::nullopt;
      length = 0;
      for (std::size_t i = 0; i < octets; ++i)
        length = (length << 8) | static_cast<unsigned char>(rest_[2 + i]);
      header += octets;
    }
    if (rest_.size() - header < length) return std::nullopt;
    Tlv tlv{tag, rest_.substr(header, length)};
    rest_.remove_prefix(header + length);
    return tlv;
  }

 private:
  std::string_view rest_;
};

std::optional<unsigned char> key_kind(std::string_view oid) {
  if (oid.size() != kTpmKeyArc.size() + 1 ||
      std::memcmp(oid.data(), kTpmKeyArc.data(), kTpmKeyArc.size()) != 0)
    return std::nullopt;
  return static_cast<unsigned char>(oid.back());
}

// The TPMKey's type OID when `der` opens like one.
std::optional<unsigned char> der_key_kind(std::string_view der) {
  DerReader outer(der);
  auto sequence = outer.next();
  if (!sequence || sequence->tag != kSequence) return std::nullopt;
  DerReader inner(sequence->body);
  auto oid = inner.next();
  if (!oid || oid->tag != kObjectIdentifier) return std::nullopt;
  return key_kind(oid->body);
}

std::optional<std::string> pem_block(std::string_view bytes) {
  if (bytes.find("-----BEGIN TSS2 PRIVATE KEY-----") == std::string_view::npos ||
      bytes.size() > INT_MAX)
    return std::nullopt;
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  while (bio) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) break;
    const OpensslString owned_name(name), owned_header(header);
    const OpensslBytes owned_data(data);
    if (name && kPemName == name)
      return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  }
  ERR_clear_error();
  return std::nullopt;
}

std::uint32_t big_endian(std::string_view bytes) {
  std::uint32_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

[[noreturn]] void malformed(const std::string& label, const std::string& what) {
  throw Error(Error::Kind::kInput, label + " is not a valid TSS2 key file: " + what);
}

}  // namespace

std::string Tss2KeyFile::parent_description() const {
  if (parent == kOwnerHierarchy || parent == 0) return "the owner hierarchy's primary key";
  char text[32];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(parent));
  return std::string("persistent key ") + text;
}

std::optional<std::string> tss2_key_der(std::string_view bytes) {
  if (auto der = pem_block(bytes)) return der;
  if (der_key_kind(bytes)) return std::string(bytes);
  return std::nullopt;
}

Tss2KeyFile parse_tss2_key(std::string_view bytes, const std::string& label) {
  const std::optional<std::string> der = tss2_key_der(bytes);
  if (!der) malformed(label, "no TSS2 PRIVATE KEY block");
  DerReader outer(*der);
  const auto sequence = outer.next();
  if (!sequence || sequence->tag != kSequence) malformed(label, "not a DER SEQUENCE");
  DerReader fields(sequence->body);

  const auto oid = fields.next();
  const auto kind = oid ? key_kind(oid->body) : std::nullopt;
  if (!kind) malformed(label, "not a TPMKey type");
  if (*kind == kSealedData)
    throw Error(Error::Kind::kInput, label + " holds sealed data, not a key that can sign");
  if (*kind == kImportableKey)
    throw Error(Error::Kind::kInput,
                label +
                    " is an importable TPM key, which must be imported into the TPM "
                    "(loadable key file) before it can sign");
  if (*kind != kLoadableKey) malformed(label, "an unknown TPMKey type");

  Tss2KeyFile key;
  // emptyAuth, then the optional policy, secret and authPolicy, all context-tagged.
  while (fields.peek_tag() && (*fields.peek_tag() & 0xe0) == 0xa0) {
    const auto tagged = fields.next();
    if (!tagged) malformed(label, "a truncated field");
    if (tagged->tag != kEmptyAuthTag) continue;
    DerReader inner(tagged->body);
    const auto flag = inner.next();
    if (!flag || flag->tag != kBoolean || flag->body.size() != 1)
      malformed(label, "emptyAuth is not a BOOLEAN");
    key.empty_auth = flag->body[0] != 0;
  }
  const auto parent = fields.next();
  if (!parent || parent->tag != kInteger || parent->body.empty() || parent->body.size() > 5)
    malformed(label, "no parent handle");
  key.parent = big_endian(parent->body);

  // TPM2B_PUBLIC: size (2), then TPMT_PUBLIC: type (2), nameAlg (2), objectAttributes (4), ...
  const auto public_area = fields.next();
  if (!public_area || public_area->tag != kOctetString || public_area->body.size() < 10)
    malformed(label, "no public area");
  key.key_type = static_cast<std::uint16_t>(big_endian(public_area->body.substr(2, 2)));
  key.attributes = big_endian(public_area->body.substr(6, 4));
  const auto private_area = fields.next();
  if (!private_area || private_area->tag != kOctetString) malformed(label, "no private area");
  return key;
}

}  // namespace tpm_detail

bool looks_like_tss2_key(std::string_view bytes) {
  if (bytes.find("-----BEGIN TSS2 PRIVATE KEY-----") != std::string_view::npos) return true;
  return tpm_detail::der_key_kind(bytes).has_value();
}

}  // namespace rolesanywhere
