#include "identity_loading.hpp"

#include "doctor/x509_facts.hpp"
#include "identity/identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/pkcs11.hpp"
#include "rolesanywhere/text.hpp"

#include <openssl/err.h>

#include <cstring>
#include <memory>

namespace rolesanywhere::doctor_detail {

namespace {

using doctor::Finding;
using doctor::Findings;
using doctor::Verdict;
using identity_detail::file_label;

X509Ptr shared(X509* certificate) {
  X509_up_ref(certificate);
  return X509Ptr(certificate);
}

EvpPkeyPtr shared(EVP_PKEY* key) {
  EVP_PKEY_up_ref(key);
  return EvpPkeyPtr(key);
}

std::vector<X509Ptr> shared(const std::vector<X509Ptr>& certificates) {
  std::vector<X509Ptr> copies;
  for (const auto& certificate : certificates) copies.push_back(shared(certificate.get()));
  return copies;
}

std::string subjects(const std::vector<X509Ptr>& certificates) {
  std::string text;
  for (const auto& certificate : certificates)
    text += (text.empty() ? "" : "; ") + subject(certificate.get());
  return text;
}

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Key files doctor reads itself; anything else (a token, a TPM handle) is load_identity's.
bool is_other_key_source(const std::string& value) {
  return is_pkcs11_uri(value) || value.starts_with("handle:");
}

// What a certificate file holds, for its finding: "PEM, CN=x; then 1 CA certificate".
std::string describe_bundle(const std::string& path, const std::string& format, X509* leaf,
                            std::size_t chain_size) {
  return path + ": " + format + ", " + subject(leaf) +
         (chain_size ? "; then " + count_of(chain_size, "CA certificate", "CA certificates") : "");
}

// Through load_identity, for the key sources doctor does not read itself. It checks the key
// type, match and validity itself and stops at the first problem, which is then the finding.
bool load_whole(const IdentitySource& source, const Clock& clock, const DebugSink& debug,
                LoadedIdentity& loaded, Findings& findings) {
  try {
    Identity identity = load_identity(source, clock, debug);
    loaded.leaf = shared(identity.certificate());
    loaded.chain = shared(identity.chain());
    loaded.key = shared(identity.key());
    findings.push_back(
        {"identity", Verdict::kOk,
         shown_source(source.private_key.empty() ? source.certificate : source.private_key) + ": " +
             subject(identity.certificate()) + ", key " +
             doctor::describe_public_key(identity.key()),
         ""});
    loaded.identity.emplace(std::move(identity));
    return true;
  } catch (const Error& error) {
    findings.push_back({"identity", Verdict::kProblem, error.what(),
                        "fix what it names; the other checks need the certificate"});
    return false;
  }
}

struct Pieces {
  std::optional<CertificateBundle> from_certificate;
  std::string certificate_format;
  EvpPkeyPtr key;
  std::optional<CertificateBundle> from_key;
};

}  // namespace

std::string shown_source(const std::string& source) {
  std::string shown = source;
  for (std::size_t at = shown.find("pin-value="); at != std::string::npos;
       at = shown.find("pin-value=", at)) {
    at += std::strlen("pin-value=");
    const std::size_t end = shown.find_first_of(";?&", at);
    shown.replace(at, (end == std::string::npos ? shown.size() : end) - at, "***");
  }
  return shown;
}

LoadedIdentity load_for_doctor(const IdentitySource& source, const Clock& clock,
                               const DebugSink& debug, Findings& findings) {
  LoadedIdentity loaded;
  const IdentityLabels& names = source.labels;
  if (is_other_key_source(source.certificate) || is_other_key_source(source.private_key)) {
    load_whole(source, clock, debug, loaded, findings);
    return loaded;
  }

  // The password of an encrypted key (or PKCS#12), asked at most once for every file.
  auto typed = std::make_shared<std::optional<SecretString>>();
  PasswordProvider remember = [typed, ask = source.ask_password](const std::string& label) {
    if (!*typed && ask) *typed = ask(label);
    return *typed;
  };
  identity_detail::KeyPassword password(source.key_password, remember, names.key_password);
  Pieces pieces;

  bool certificate_failed = false;
  if (!source.certificate.empty()) {
    const std::string label = file_label(names.certificate, "certificate file", source.certificate);
    try {
      const SecretString contents = identity_detail::read_input_file(source.certificate, label);
      const std::string& bytes = contents.reveal();
      if (identity_detail::looks_like_pkcs12(bytes)) {
        PrivateKeyFile file = identity_detail::parse_pkcs12(bytes, password, label);
        if (!file.certificates) throw Error(Error::Kind::kInput, label + " holds no certificate");
        pieces.from_certificate = std::move(file.certificates);
        pieces.key = std::move(file.key);
        pieces.certificate_format = "PKCS#12";
      } else {
        pieces.from_certificate = identity_detail::parse_certificates(bytes, label);
        pieces.certificate_format = identity_detail::looks_like_pem(bytes) ? "PEM" : "DER";
      }
      findings.push_back({"files.certificate", Verdict::kOk,
                          describe_bundle(source.certificate, pieces.certificate_format,
                                          pieces.from_certificate->leaf.get(),
                                          pieces.from_certificate->chain.size()),
                          ""});
    } catch (const Error& error) {
      certificate_failed = true;
      findings.push_back({"files.certificate", Verdict::kProblem, error.what(),
                          "give " + label_or(names.certificate, "the certificate") +
                              " a readable PEM or DER certificate (or a PKCS#12 file)"});
    }
  }

  bool key_failed = false;
  if (!source.private_key.empty()) {
    const std::string label = file_label(names.private_key, "private key file", source.private_key);
    try {
      const SecretString contents = identity_detail::read_input_file(source.private_key, label);
      PrivateKeyFile file = identity_detail::parse_private_key(contents.reveal(), password, label);
      pieces.key = std::move(file.key);
      pieces.from_key = std::move(file.certificates);
      findings.push_back({"files.private_key", Verdict::kOk,
                          source.private_key + ": " + (pieces.from_key ? "PKCS#12, " : "") +
                              "private key, " + doctor::describe_public_key(pieces.key.get()),
                          ""});
    } catch (const Error& error) {
      // A key file in a form only another key source reads (a TPM's TSS2 key file): the
      // helper's own loading knows every source.
      IdentitySource whole = source;
      whole.key_password = password.known();
      whole.ask_password = remember;
      Findings tried;
      if (!certificate_failed && load_whole(whole, clock, debug, loaded, tried)) {
        append(findings, std::move(tried));
        loaded.password = password.known();
        return loaded;
      }
      key_failed = true;
      findings.push_back({"files.private_key", Verdict::kProblem, error.what(),
                          "give " + label_or(names.private_key, "the private key") +
                              " the key the certificate was issued for, as PEM or DER (PKCS#1, "
                              "SEC1, PKCS#8), or a PKCS#12 file"});
    }
  }
  loaded.password = password.known();

  // The certificate: --certificate, or else the PKCS#12 given as --private-key; the chain:
  // --intermediates, or else what followed the leaf in its file.
  std::optional<CertificateBundle>& bundle =
      pieces.from_certificate ? pieces.from_certificate : pieces.from_key;
  if (bundle) {
    loaded.leaf = std::move(bundle->leaf);
    loaded.chain = std::move(bundle->chain);
  } else if (!certificate_failed && !key_failed) {
    findings.push_back({"files.certificate", Verdict::kProblem,
                        label_or(names.certificate, "a certificate") + " is required: " +
                            source.private_key + " is not a PKCS#12 file holding one",
                        "give " + label_or(names.certificate, "the certificate file")});
  }
  if (!pieces.key && !key_failed && !certificate_failed)
    findings.push_back({"files.private_key", Verdict::kProblem,
                        label_or(names.private_key, "a private key") + " is required: " +
                            source.certificate + " is not a PKCS#12 file holding one",
                        "give " + label_or(names.private_key, "the private key file")});
  loaded.key = std::move(pieces.key);

  if (!source.intermediates.empty()) {
    const std::string label =
        file_label(names.intermediates, "intermediates file", source.intermediates);
    try {
      loaded.chain = identity_detail::parse_certificate_bundle(
          identity_detail::read_input_file(source.intermediates, label).reveal(), label);
      findings.push_back({"files.intermediates", Verdict::kOk,
                          source.intermediates + ": " +
                              count_of(loaded.chain.size(), "certificate", "certificates") + ": " +
                              subjects(loaded.chain),
                          ""});
    } catch (const Error& error) {
      loaded.chain.clear();
      findings.push_back({"files.intermediates", Verdict::kProblem, error.what(),
                          "give " + label_or(names.intermediates, "the intermediates") +
                              " a PEM bundle of the intermediate CA certificates"});
    }
  }

  if (loaded.leaf && loaded.key) {
    if (identity_detail::key_matches_certificate(loaded.key.get(), loaded.leaf.get())) {
      findings.push_back({"key.match", Verdict::kOk, "the private key is the certificate's", ""});
    } else {
      findings.push_back(
          {"key.match", Verdict::kProblem,
           "the private key (" + doctor::describe_public_key(loaded.key.get()) +
               ") does not match the certificate's public key (" +
               doctor::describe_public_key(X509_get0_pubkey(loaded.leaf.get())) + ")",
           "use the key the certificate was issued for: `openssl x509 -noout -pubkey -in CERT` "
           "and `openssl pkey -pubout -in KEY` print the same key for a pair"});
    }
    // The service's rule (leaf.key) may pass a key this helper still cannot sign with.
    const Finding service_rule = doctor::check_key_type(X509_get0_pubkey(loaded.leaf.get()));
    try {
      check_key_supported(loaded.key.get());
    } catch (const Error& error) {
      if (service_rule.verdict == Verdict::kOk)
        findings.push_back({"key.supported", Verdict::kProblem,
                            std::string("this helper cannot sign with it: ") + error.what(),
                            "make an RSA key of 2048 to 4096 bits or an EC key on P-256, P-384 "
                            "or P-521 and have a certificate issued for it"});
    }
  }
  return loaded;
}

Identity signing_identity(LoadedIdentity& loaded) {
  if (loaded.identity) return std::move(*loaded.identity);
  if (!loaded.leaf || !loaded.key)
    throw Error(Error::Kind::kInput, "the certificate or key could not be read");
  return Identity(shared(loaded.leaf.get()), shared(loaded.chain), shared(loaded.key.get()));
}

}  // namespace rolesanywhere::doctor_detail
