#include "der_codec.hpp"

#include "rolesanywhere/text.hpp"

#include <openssl/x509v3.h>

#include <cctype>

namespace rolesanywhere::emulator {

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool padding_allowed =
        i >= text.size() - 2 && c == '=' && (i == text.size() - 1 || text.back() == '=');
    if (!std::isalnum(c) && c != '+' && c != '/' && !padding_allowed) return std::nullopt;
  }
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  const int written =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(written) - padding);
  return out;
}

std::string encode_base64(const std::vector<std::uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::vector<std::uint8_t>> decode_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = nibble(text[i]);
    const int low = nibble(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
  return out;
}

X509Ptr certificate_from_der(const std::vector<std::uint8_t>& der) {
  const unsigned char* cursor = der.data();
  X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!certificate || cursor != der.data() + der.size()) return nullptr;
  return certificate;
}

namespace {
BignumPtr serial_bignum(X509* certificate) {
  return BignumPtr(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
}
}  // namespace

std::string certificate_serial_decimal(X509* certificate) {
  const BignumPtr serial = serial_bignum(certificate);
  if (!serial) return {};
  const OpensslString text(BN_bn2dec(serial.get()));
  return text ? std::string(text.get()) : std::string();
}

std::string certificate_serial_hex(X509* certificate) {
  const BignumPtr serial = serial_bignum(certificate);
  if (!serial) return {};
  const OpensslString text(BN_bn2hex(serial.get()));
  return text ? to_lower(text.get()) : std::string();
}

std::string certificate_subject(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string certificate_common_name(X509* certificate) {
  X509_NAME* name = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, value);
  const OpensslBytes owned(utf8);
  if (size < 0) return {};
  return std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(size));
}

}  // namespace rolesanywhere::emulator
