#include "emulator_config.hpp"

#include "arn_check.hpp"
#include "rolesanywhere/error.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rolesanywhere::emulator {

std::vector<X509Ptr> load_ca_certificates(const std::vector<std::string>& paths) {
  std::vector<X509Ptr> certificates;
  for (const auto& path : paths) {
    BioPtr file(BIO_new_file(path.c_str(), "r"));
    if (!file) {
      const int cause = errno;
      openssl_error_text();  // its text for this is noisier than strerror's
      throw Error(Error::Kind::kInput, "--ca " + path + ": cannot open: " + std::strerror(cause));
    }
    std::size_t found = 0;
    while (X509Ptr certificate{PEM_read_bio_X509(file.get(), nullptr, nullptr, nullptr)}) {
      certificates.push_back(std::move(certificate));
      ++found;
    }
    // Reading stops with a "no start line" error at the end of the file; that one is expected.
    const unsigned long last = ERR_peek_last_error();
    const bool clean_end = ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
    if (found == 0 || !clean_end) {
      const std::string detail = openssl_error_text();
      throw Error(Error::Kind::kInput,
                  "--ca " + path + ": " +
                      (found == 0 ? "no PEM certificate found" : "a certificate is malformed") +
                      (detail.empty() ? "" : " (" + detail + ")"));
    }
    ERR_clear_error();
  }
  return certificates;
}

void finish_config(EmulatorConfig& config) {
  auto check = [](const std::string& arn, ArnKind kind, const char* flag) {
    if (auto problem = arn_problem(arn, kind))
      throw Error(Error::Kind::kInvalidArgument,
                  std::string(flag) + " '" + arn + "' is not a valid ARN: " + *problem);
  };
  check(config.trust_anchor_arn, ArnKind::kTrustAnchor, "--trust-anchor-arn");
  check(config.profile_arn, ArnKind::kProfile, "--profile-arn");
  check(config.role_arn, ArnKind::kRole, "--role-arn");
  for (std::size_t i = 0; i < config.other_role_arns.size(); ++i) {
    const std::string& arn = config.other_role_arns[i];
    check(arn, ArnKind::kRole, "--role-arn");
    const auto earlier = config.other_role_arns.begin() + static_cast<std::ptrdiff_t>(i);
    if (arn == config.role_arn ||
        std::find(config.other_role_arns.begin(), earlier, arn) != earlier)
      throw Error(Error::Kind::kInvalidArgument, "--role-arn '" + arn + "' is given twice");
  }
  if (config.region.empty()) config.region = split_arn(config.trust_anchor_arn)->region;
  if (config.trust_anchor_certificates.empty())
    throw Error(Error::Kind::kInvalidArgument, "--ca is required: name the trust anchor's CA file");
  if (config.max_session_seconds < 0 || config.max_session_seconds > 43200)
    throw Error(Error::Kind::kInvalidArgument,
                "--max-session-seconds must be within 1..43200, or 0 for the duration asked");
}

bool EmulatorConfig::serves_role(const std::string& arn) const {
  return arn == role_arn ||
         std::find(other_role_arns.begin(), other_role_arns.end(), arn) != other_role_arns.end();
}

std::string EmulatorConfig::served_roles_text() const {
  std::string text = "'" + role_arn + "'";
  for (const auto& arn : other_role_arns) text += ", '" + arn + "'";
  return text;
}

}  // namespace rolesanywhere::emulator
