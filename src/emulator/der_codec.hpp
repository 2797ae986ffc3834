// Small decoders the verifier needs for what arrives in headers: strict base64, hex, DER
// certificates, and the certificate facts the verifier compares (serial, subject, common name).
// The emulator keeps its own copies instead of using the identity module so that a bug on the
// client side cannot hide behind the same bug on the verifying side.
#pragma once

#include "rolesanywhere/openssl_ptr.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::emulator {

// nullopt unless `text` is canonical padded base64 without whitespace.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text);
std::string encode_base64(const std::vector<std::uint8_t>& bytes);
// nullopt unless `text` is an even number of hex digits (either case).
std::optional<std::vector<std::uint8_t>> decode_hex(std::string_view text);

// One DER certificate and nothing after it; nullptr otherwise.
X509Ptr certificate_from_der(const std::vector<std::uint8_t>& der);

std::string certificate_serial_decimal(X509* certificate);
std::string certificate_serial_hex(X509* certificate);   // lower-case, no separators
std::string certificate_subject(X509* certificate);      // RFC 2253
std::string certificate_common_name(X509* certificate);  // empty when there is none

}  // namespace rolesanywhere::emulator
