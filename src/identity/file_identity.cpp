// Building the identity from a certificate, a private key, intermediates and a key password
// (--certificate, --private-key, --intermediates and --pkcs8-password on the command line, whose
// names come in options.labels). Either file may be PKCS#12; the rules for which file supplies what
// are spelled out below.
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"

namespace rolesanywhere {
namespace {

using namespace identity_detail;

// What one file contributed: certificates, a key, or both (PKCS#12).
struct FileContents {
  std::optional<CertificateBundle> certificates;
  EvpPkeyPtr key;
};

FileContents read_certificate_source(const std::string& path, KeyPassword& password,
                                     const std::string& label) {
  const SecretString contents = read_identity_input(path, label);
  const std::string& bytes = contents.reveal();
  if (looks_like_pkcs12(bytes)) {
    PrivateKeyFile file = parse_pkcs12(bytes, password, label);
    if (!file.certificates) throw Error(Error::Kind::kInput, label + " holds no certificate");
    return FileContents{std::move(file.certificates), std::move(file.key)};
  }
  return FileContents{parse_certificates(bytes, label), nullptr};
}

FileContents read_key_source(const std::string& path, KeyPassword& password,
                             const std::string& label) {
  PrivateKeyFile file =
      parse_private_key(read_identity_input(path, label).reveal(), password, label);
  return FileContents{std::move(file.certificates), std::move(file.key)};
}

std::vector<X509Ptr> choose_chain(const FileIdentityOptions& options,
                                  std::vector<X509Ptr> after_leaf) {
  if (options.intermediates_path.empty()) return after_leaf;
  const std::string label =
      file_label(options.labels.intermediates, "intermediates file", options.intermediates_path);
  return parse_certificate_bundle(read_identity_input(options.intermediates_path, label).reveal(),
                                  label);
}

void check_key_and_certificate(EVP_PKEY* key, const std::string& where_key, X509* leaf,
                               const std::string& where_certificate, const Clock& clock) {
  if (auto problem = key_support_problem(key)) {
    throw Error(Error::Kind::kCrypto, where_key + " holds an unsupported key: " + *problem);
  }
  if (!key_matches_certificate(key, leaf)) {
    throw Error(Error::Kind::kCrypto, "the private key in " + where_key +
                                          " does not match the certificate in " +
                                          where_certificate);
  }
  if (auto problem = validity_problem(leaf, clock.now())) {
    throw Error(Error::Kind::kCrypto, "the certificate in " + where_certificate + " " + *problem);
  }
}

}  // namespace

Identity load_file_identity(const FileIdentityOptions& options, const Clock& clock) {
  const IdentityLabels& labels = options.labels;
  const std::string certificate_label =
      file_label(labels.certificate, "certificate file", options.certificate_path);
  const std::string key_label =
      file_label(labels.private_key, "private key file", options.private_key_path);
  const std::string certificate_required = label_or(labels.certificate, "a certificate");
  const std::string key_required = label_or(labels.private_key, "a private key");
  const bool have_certificate = !options.certificate_path.empty();
  const bool have_key = !options.private_key_path.empty();
  if (!have_certificate && !have_key) {
    throw Error(Error::Kind::kInvalidArgument,
                certificate_required + " and " + key_required + " are required");
  }

  KeyPassword password(options.password, options.ask_password, labels.key_password);
  FileContents from_certificate;
  if (have_certificate) {
    from_certificate =
        read_certificate_source(options.certificate_path, password, certificate_label);
  }
  FileContents from_key;
  if (have_key) from_key = read_key_source(options.private_key_path, password, key_label);

  // The key: --private-key, or else the PKCS#12 given as --certificate.
  EvpPkeyPtr key = have_key ? std::move(from_key.key) : std::move(from_certificate.key);
  const std::string& where_key = have_key ? key_label : certificate_label;
  if (!key) {
    throw Error(Error::Kind::kInvalidArgument, key_required + " is required: " + certificate_label +
                                                   " is not a PKCS#12 file " +
                                                   "holding a private key");
  }

  // The certificate: --certificate, or else the PKCS#12 given as --private-key.
  std::optional<CertificateBundle> certificates = have_certificate
                                                      ? std::move(from_certificate.certificates)
                                                      : std::move(from_key.certificates);
  const std::string& where_certificate = have_certificate ? certificate_label : key_label;
  if (!certificates) {
    throw Error(Error::Kind::kInvalidArgument, certificate_required + " is required: " + key_label +
                                                   " is not a PKCS#12 file holding one");
  }

  // The chain: --intermediates when given; otherwise what followed the leaf in its file.
  std::vector<X509Ptr> chain = choose_chain(options, std::move(certificates->chain));

  check_key_and_certificate(key.get(), where_key, certificates->leaf.get(), where_certificate,
                            clock);
  return Identity(std::move(certificates->leaf), std::move(chain), std::move(key));
}

}  // namespace rolesanywhere
