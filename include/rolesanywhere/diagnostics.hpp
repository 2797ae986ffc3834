// What the diagnostic subcommands compute: sign-string's fixed test string and
// read-certificate-data's JSON, in the exact forms aws_signing_helper prints them.
#pragma once

#include "rolesanywhere/identity.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere {

// "AWS Roles Anywhere Credential Helper Signing Test" || "1" || SHA256("IAM RA" || public key),
// the public key as PKCS#1 RSAPublicKey DER for RSA, the uncompressed point for EC.
std::string fixed_string_to_sign(EVP_PKEY* key);

// RSA: PKCS#1 v1.5; EC: ECDSA, DER-encoded. The digest of `data` is computed here.
std::vector<std::uint8_t> sign_with_key(EVP_PKEY* key, std::string_view data, Digest digest);

// {"keyType":"RSA","certificateData":"<base64 DER>","serialNumber":"<decimal>",
//  "supportedAlgorithms":["RSASHA256","RSASHA384","RSASHA512"]}
std::string certificate_data_json(X509* certificate);

}  // namespace rolesanywhere
