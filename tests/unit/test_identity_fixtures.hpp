// Shared helpers for the identity tests: the generated test PKI, scratch files, and an
// independent signature check through the certificate's public key.
#pragma once

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/identity.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace identity_test {

inline constexpr const char* kPassword = "test-password";

// The directory holding testdata/make-test-pki.sh's output. Generated on first use; reused by
// later test processes of the same day and script version (ctest runs one process per test case,
// and the script takes seconds on shared cores).
const std::filesystem::path& pki_dir();
std::string pki(const std::string& name);
// What `script_path` (relative to the source tree) writes into the directory it is given, made
// once a day per machine and script version in a temporary directory named `cache_prefix`...;
// the test PKIs, whose certificates live 30 days. Throws with the script's output if it fails.
std::filesystem::path generated_once_a_day(const std::string& script_path,
                                           const std::string& cache_prefix);

// A per-process scratch directory (removed at exit) for files the tests make themselves.
std::string scratch(const std::string& name);
std::string write_file(const std::string& name, std::string_view contents);
std::string read_file(const std::string& path);

// Runs a shell command (the openssl CLI) and fails the test case when it fails.
void run(const std::string& command);

rolesanywhere::X509Ptr read_certificate(const std::string& path);
std::vector<std::uint8_t> certificate_der(X509* certificate);
std::vector<std::uint8_t> base64_decode(std::string_view text);

// EVP_DigestVerify with the certificate's public key (PKCS#1 v1.5 for RSA).
bool signature_verifies(X509* certificate, std::string_view data,
                        const std::vector<std::uint8_t>& signature,
                        rolesanywhere::Digest digest = rolesanywhere::Digest::kSha256);

// The flag names the command line passes (src/cli/command_line.cpp), for the tests of messages
// as users see them.
rolesanywhere::IdentityLabels cli_labels();

// load_file_identity with cli_labels().
rolesanywhere::Identity load(const std::string& certificate, const std::string& key,
                             const std::string& intermediates = "",
                             std::optional<std::string> password = std::nullopt);

// The error load_file_identity throws for these inputs; fails the test if it throws none.
rolesanywhere::Error load_error(const std::string& certificate, const std::string& key,
                                const std::string& intermediates = "",
                                std::optional<std::string> password = std::nullopt);

// The SoftHSM2 token tests/pkcs11/make-softhsm-token.sh fills from the test PKI (token label
// "rolesanywhere-test"), built once per process. False, with a SKIPPED warning that ctest reports
// as a skip, when SoftHSM2 is not installed.
inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr const char* kSoftHsmPin = "ra-Pin-7Qx";
bool softhsm_token_ready();

}  // namespace identity_test
