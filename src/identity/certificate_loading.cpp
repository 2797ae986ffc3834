// Certificates from files: a PEM file may carry the leaf followed by its chain; a DER file holds
// exactly one certificate. --intermediates is a PEM bundle whose order is kept as written.
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>

namespace rolesanywhere {
namespace identity_detail {
namespace {

// Certificates are never encrypted; an explicit callback keeps OpenSSL from prompting anyway.
int refuse_password(char*, int, int, void*) { return -1; }

// Every CERTIFICATE block in order; other blocks (keys, parameters) are skipped.
std::vector<X509Ptr> read_pem_certificates(std::string_view bytes, const std::string& label) {
  if (bytes.size() > INT_MAX) throw Error(Error::Kind::kInput, label + " is too large");
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) throw Error(Error::Kind::kInternal, "out of memory reading " + label);

  std::vector<X509Ptr> certificates;
  ERR_clear_error();
  while (X509Ptr certificate{PEM_read_bio_X509(bio.get(), nullptr, refuse_password, nullptr)}) {
    certificates.push_back(std::move(certificate));
  }
  // Running out of blocks ends the loop with "no start line"; anything else is a broken block.
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 && ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
    throw Error(Error::Kind::kInput, label + " holds a malformed certificate (number " +
                                         std::to_string(certificates.size() + 1) +
                                         "): " + openssl_error_text());
  }
  ERR_clear_error();
  return certificates;
}

X509Ptr read_der_certificate(std::string_view bytes, const std::string& label) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = cursor + bytes.size();
  X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(bytes.size())));
  ERR_clear_error();
  if (!certificate) throw Error(Error::Kind::kInput, label + " is not a PEM or DER certificate");
  if (cursor != end) {
    throw Error(Error::Kind::kInput,
                label + " is not a PEM or DER certificate: unexpected data after the certificate");
  }
  return certificate;
}

}  // namespace

bool looks_like_pem(std::string_view bytes) { return bytes.find("-----BEGIN ") != bytes.npos; }

CertificateBundle parse_certificates(std::string_view bytes, const std::string& label) {
  if (!looks_like_pem(bytes)) return CertificateBundle{read_der_certificate(bytes, label), {}};

  std::vector<X509Ptr> certificates = read_pem_certificates(bytes, label);
  if (certificates.empty()) {
    throw Error(Error::Kind::kInput,
                label + " is not a PEM or DER certificate: it holds no CERTIFICATE block");
  }
  CertificateBundle bundle;
  bundle.leaf = std::move(certificates.front());
  certificates.erase(certificates.begin());
  bundle.chain = without_leaf(std::move(certificates), bundle.leaf.get());
  return bundle;
}

std::vector<X509Ptr> parse_certificate_bundle(std::string_view bytes, const std::string& label) {
  if (!looks_like_pem(bytes)) {
    std::vector<X509Ptr> one;
    one.push_back(read_der_certificate(bytes, label));
    return one;
  }
  std::vector<X509Ptr> certificates = read_pem_certificates(bytes, label);
  if (certificates.empty()) {
    throw Error(Error::Kind::kInput,
                label + " is not a PEM certificate bundle: it holds no CERTIFICATE block");
  }
  return certificates;
}

std::vector<X509Ptr> without_leaf(std::vector<X509Ptr> chain, X509* leaf) {
  std::erase_if(chain, [leaf](const X509Ptr& c) { return X509_cmp(c.get(), leaf) == 0; });
  return chain;
}

}  // namespace identity_detail

CertificateBundle load_certificate_file(const std::string& path, const IdentityLabels& labels) {
  using namespace identity_detail;
  const std::string label = "certificate file " + path;
  const SecretString contents = read_identity_input(path, label);
  const std::string& bytes = contents.reveal();
  if (looks_like_pkcs12(bytes)) {
    // Only a PKCS#12 without a password can be read here; the password travels with the key.
    KeyPassword no_password({}, {}, labels.key_password);
    PrivateKeyFile file = parse_pkcs12(bytes, no_password, label);
    if (!file.certificates) throw Error(Error::Kind::kInput, label + " holds no certificate");
    return std::move(*file.certificates);
  }
  return parse_certificates(bytes, label);
}

std::vector<X509Ptr> load_certificate_bundle_file(const std::string& path) {
  using namespace identity_detail;
  const std::string label = "intermediates file " + path;
  return parse_certificate_bundle(read_identity_input(path, label).reveal(), label);
}

}  // namespace rolesanywhere
