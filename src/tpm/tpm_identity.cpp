// A certificate file with a TPM key: the file identity's rules (the chain, the checks and their
// words), with the key loaded from the TPM. The TPM is opened last, once the files are known
// to be good, so a typo in a path is reported before a password is asked for.
#include "identity/identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"
#include "rolesanywhere/tpm.hpp"

namespace rolesanywhere {

Identity load_tpm_identity(const TpmIdentityOptions& options, const Clock& clock) {
  using namespace identity_detail;
  const IdentityLabels& labels = options.key.labels;
  if (options.certificate_path.empty())
    throw Error(Error::Kind::kInvalidArgument,
                label_or(labels.certificate, "a certificate") +
                    " is required: a TPM key signs for a certificate given as a file");
  const std::string certificate_label =
      file_label(labels.certificate, "certificate file", options.certificate_path);
  CertificateBundle certificates = parse_certificates(
      read_identity_input(options.certificate_path, certificate_label).reveal(), certificate_label);
  std::vector<X509Ptr> chain = std::move(certificates.chain);
  if (!options.intermediates_path.empty()) {
    const std::string label =
        file_label(labels.intermediates, "intermediates file", options.intermediates_path);
    chain = parse_certificate_bundle(
        read_identity_input(options.intermediates_path, label).reveal(), label);
  }
  if (auto problem = validity_problem(certificates.leaf.get(), clock.now()))
    throw Error(Error::Kind::kCrypto, "the certificate in " + certificate_label + " " + *problem);

  EvpPkeyPtr key = load_tpm_key(options.key);
  const std::string key_label = "the TPM key " +
                                (labels.private_key.empty() ? "" : labels.private_key + " ") +
                                options.key.key;
  if (auto problem = key_support_problem(key.get()))
    throw Error(Error::Kind::kCrypto, key_label + " is an unsupported key: " + *problem);
  if (!key_matches_certificate(key.get(), certificates.leaf.get()))
    throw Error(Error::Kind::kCrypto,
                key_label + " does not match the certificate in " + certificate_label);
  return Identity(std::move(certificates.leaf), std::move(chain), std::move(key));
}

}  // namespace rolesanywhere
