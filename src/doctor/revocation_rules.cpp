// Revocation against the CRLs imported into the trust anchor: a certificate on the path listed
// by its issuer's CRL is refused. A CRL that is not its issuer's (by name and signature) revokes
// nothing, which is worth a warning: it was probably meant to.
#include "chain_path.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/text.hpp"
#include "x509_facts.hpp"

#include <openssl/err.h>

namespace rolesanywhere::doctor {

namespace {

using namespace doctor_detail;

std::string crl_issuer(X509_CRL* crl) { return name_text(X509_CRL_get_issuer(crl)); }

std::string serial_hex(X509* certificate) {
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  OpensslString hex(serial ? BN_bn2hex(serial.get()) : nullptr);
  ERR_clear_error();
  return hex ? to_lower(hex.get()) : "?";
}

}  // namespace

Findings check_revocation(X509* leaf, const std::vector<X509Ptr>& intermediates,
                          const std::vector<X509Ptr>& anchors, const std::vector<X509CrlPtr>& crls,
                          const Labels& labels) {
  if (crls.empty()) return {};
  const ChainPath path = build_chain_path(leaf, intermediates, anchors);
  const std::size_t checked =
      path.end == ChainPath::End::kAnchor ? path.certificates.size() - 1 : path.certificates.size();
  std::vector<std::string> bad_signatures;
  bool leaf_covered = false;
  for (std::size_t i = 0; i < checked; ++i) {
    X509* certificate = path.certificates[i];
    X509* issuer_certificate =
        i + 1 < path.certificates.size() ? path.certificates[i + 1] : nullptr;
    for (const auto& crl : crls) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(certificate)) != 0)
        continue;
      if (issuer_certificate) {
        EVP_PKEY* key = X509_get0_pubkey(issuer_certificate);
        const bool verifies = key && X509_CRL_verify(crl.get(), key) == 1;
        ERR_clear_error();
        if (!verifies) {
          bad_signatures.push_back(crl_issuer(crl.get()));
          continue;
        }
      }
      if (i == 0) leaf_covered = true;
      X509_REVOKED* entry = nullptr;
      if (X509_CRL_get0_by_serial(crl.get(), &entry, X509_get0_serialNumber(certificate)) != 1)
        continue;
      return {{"revocation", Verdict::kProblem,
               subject(certificate) + " (serial " + serial_hex(certificate) +
                   ") is revoked since " + time_text(X509_REVOKED_get0_revocationDate(entry)) +
                   " by the CRL of " + crl_issuer(crl.get()),
               "a revoked certificate stays refused: have a new one issued (or, if it was revoked "
               "by mistake, import a CRL without it into the trust anchor)"}};
    }
  }
  const std::string crl_label = label_or(labels.crl, "the CRL");
  if (!bad_signatures.empty())
    return {{"revocation", Verdict::kWarning,
             "the CRL issued by " + bad_signatures.front() +
                 " does not verify with that CA's key: it revokes nothing",
             "give " + crl_label +
                 " the CRL the CA signed (`openssl crl -verify -CAfile CA -in CRL`)"}};
  if (!leaf_covered)
    return {{"revocation", Verdict::kWarning,
             "no CRL given is from " + issuer(leaf) +
                 ", the certificate's issuer, so none can "
                 "revoke it (" +
                 crl_label + " holds CRLs of " + crl_issuer(crls.front().get()) +
                 (crls.size() > 1 ? " and others" : "") + ")",
             "give the CRL of " + issuer(leaf) + " (`openssl ca -gencrl`)"}};
  return {{"revocation", Verdict::kOk,
           "not revoked: the CRL of " + issuer(leaf) + " does not list it", ""}};
}

}  // namespace rolesanywhere::doctor
