#include "trust_files.hpp"

#include "doctor/x509_facts.hpp"
#include "identity/identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>

namespace rolesanywhere::doctor_detail {

namespace {

using doctor::Finding;
using doctor::Verdict;

std::string subjects(const std::vector<X509Ptr>& certificates) {
  std::string text;
  for (const auto& certificate : certificates)
    text += (text.empty() ? "" : "; ") + subject(certificate.get());
  return text;
}

std::vector<doctor::X509CrlPtr> parse_crls(std::string_view bytes, const std::string& label) {
  std::vector<doctor::X509CrlPtr> crls;
  if (bytes.size() > INT_MAX) throw Error(Error::Kind::kInput, label + " is too large");
  if (identity_detail::looks_like_pem(bytes)) {
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) throw Error(Error::Kind::kInternal, "out of memory reading " + label);
    ERR_clear_error();
    while (doctor::X509CrlPtr crl{PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)})
      crls.push_back(std::move(crl));
    const unsigned long last = ERR_peek_last_error();
    if (last != 0 && ERR_GET_REASON(last) != PEM_R_NO_START_LINE)
      throw Error(Error::Kind::kInput, label + " holds a malformed CRL: " + openssl_error_text());
    ERR_clear_error();
  } else {
    const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
    doctor::X509CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(bytes.size())));
    ERR_clear_error();
    if (crl) crls.push_back(std::move(crl));
  }
  if (crls.empty()) throw Error(Error::Kind::kInput, label + " is not a PEM or DER CRL");
  return crls;
}

}  // namespace

std::vector<X509Ptr> load_trust_anchor(const std::string& path, const doctor::Labels& labels,
                                       doctor::Findings& findings) {
  const std::string name = label_or(labels.trust_anchor_certificate, "the trust anchor file");
  const std::string label = name + " " + path;
  try {
    std::vector<X509Ptr> anchors = identity_detail::parse_certificate_bundle(
        identity_detail::read_input_file(path, label).reveal(), label);
    findings.push_back({"files.trust_anchor", Verdict::kOk, path + ": " + subjects(anchors), ""});
    return anchors;
  } catch (const Error& error) {
    findings.push_back({"files.trust_anchor", Verdict::kProblem, error.what(),
                        "give " + name +
                            " the CA certificate(s) registered in the trust anchor, "
                            "as PEM"});
    return {};
  }
}

std::vector<doctor::X509CrlPtr> load_crls(const std::string& path, const doctor::Labels& labels,
                                          doctor::Findings& findings) {
  const std::string name = label_or(labels.crl, "the CRL file");
  const std::string label = name + " " + path;
  try {
    std::vector<doctor::X509CrlPtr> crls =
        parse_crls(identity_detail::read_input_file(path, label).reveal(), label);
    std::string issuers;
    for (const auto& crl : crls)
      issuers += (issuers.empty() ? "" : "; ") + name_text(X509_CRL_get_issuer(crl.get()));
    findings.push_back({"files.crl", Verdict::kOk,
                        path + ": " + std::to_string(crls.size()) + " CRL" +
                            (crls.size() == 1 ? "" : "s") + " of " + issuers,
                        ""});
    return crls;
  } catch (const Error& error) {
    findings.push_back({"files.crl", Verdict::kProblem, error.what(),
                        "give " + name + " the CRL imported into the trust anchor (PEM or DER)"});
    return {};
  }
}

Finding check_ca_bundle(const std::optional<std::string>& bundle) {
  if (!bundle)
    return {"env.ca_bundle", Verdict::kOk,
            "AWS_CA_BUNDLE is not set: the system's CA certificates verify the service", ""};
  const std::string label = "AWS_CA_BUNDLE " + *bundle;
  try {
    const std::vector<X509Ptr> certificates = identity_detail::parse_certificate_bundle(
        identity_detail::read_input_file(*bundle, label).reveal(), label);
    return {"env.ca_bundle", Verdict::kOk,
            label + ": " + std::to_string(certificates.size()) +
                " CA certificate(s) verify the service instead of the system's",
            ""};
  } catch (const Error& error) {
    return {"env.ca_bundle", Verdict::kProblem, error.what(),
            "point AWS_CA_BUNDLE at a readable PEM file of CA certificates, or unset it"};
  }
}

}  // namespace rolesanywhere::doctor_detail
