// The three things the CLI asks of a token: an identity (token only, or a certificate file with
// a token key), just a key (sign-string), and a listing of certificates (read-certificate-data).
#include "p11_api.hpp"
#include "pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <algorithm>

namespace rolesanywhere {

using namespace pkcs11_detail;

namespace {

// `flag` when the caller named one, else `noun`.

std::optional<Uri> uri_from(const std::string& value, const std::string& flag) {
  if (!is_pkcs11_uri(value)) return std::nullopt;
  return Uri(value, flag);
}

FoundCertificate find_one_certificate(const Module& module, const Uri& uri, PinContext& pins) {
  const std::vector<PKCS11_SLOT*> tokens = matching_tokens(module, uri);
  std::vector<FoundCertificate> found = find_certificates(tokens, uri);
  if (found.empty() && tokens.size() == 1) {
    // Private certificates show only after login, and only one token may be logged in to.
    log_in(tokens.front(), &uri, pins);
    found = find_certificates(tokens, uri);
  }
  if (found.empty())
    throw Error(Error::Kind::kInput,
                "no certificate matches " + uri.shown() +
                    (tokens.size() == 1 ? " on PKCS#11 token " + describe_token(tokens[0]->token)
                                        : " on the " + std::to_string(tokens.size()) +
                                              " PKCS#11 tokens it matches"));
  if (found.size() > 1)
    throw Error(Error::Kind::kInvalidArgument,
                std::to_string(found.size()) + " certificates match " + uri.shown() +
                    "; name one with id= or object=:" + list_uris(found));
  return found.front();
}

PKCS11_SLOT* one_token_for_key(const Module& module, const Uri& key_uri,
                               const FoundCertificate* certificate) {
  const std::vector<PKCS11_SLOT*> tokens = matching_tokens(module, key_uri);
  if (tokens.size() == 1) return tokens.front();
  if (certificate && std::find(tokens.begin(), tokens.end(), certificate->slot) != tokens.end())
    return certificate->slot;
  std::string list;
  for (PKCS11_SLOT* slot : tokens) list += "\n  " + describe_token(slot->token);
  throw Error(Error::Kind::kInvalidArgument, std::to_string(tokens.size()) +
                                                 " PKCS#11 tokens match " + key_uri.shown() +
                                                 "; name one with token= or serial=:" + list);
}

// The key a --private-key URI names: a private key it matches, or else the key that belongs to
// the one certificate it matches (a URI copied from the certificate works for the key too).
FoundKey find_key_for_uri(PKCS11_SLOT* slot, const Uri& uri) {
  if (uri.type() != ObjectType::kCertificate) {
    std::vector<FoundKey> keys = find_keys(slot, &uri);
    if (keys.size() == 1) return keys.front();
    if (keys.size() > 1)
      throw Error(Error::Kind::kInvalidArgument,
                  std::to_string(keys.size()) + " private keys match " + uri.shown() +
                      "; name one with id= or object=:" + list_uris(keys));
  }
  if (uri.type() == ObjectType::kAny || uri.type() == ObjectType::kCertificate) {
    std::vector<FoundCertificate> certificates = find_certificates({slot}, uri);
    if (certificates.size() == 1) {
      PKCS11_CERT* certificate = certificates.front().certificate;
      return key_for_certificate(slot, certificate->id, certificate->id_len, certificate->label,
                                 certificate->x509, uri.shown());
    }
    if (certificates.size() > 1)
      throw Error(Error::Kind::kInvalidArgument,
                  "no private key and " + std::to_string(certificates.size()) +
                      " certificates match " + uri.shown() +
                      "; name one with id= or object=:" + list_uris(certificates));
  }
  throw Error(Error::Kind::kInput, "no private key on PKCS#11 token " +
                                       describe_token(slot->token) + " matches " + uri.shown());
}

std::string public_key_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  ERR_clear_error();
  if (length <= 0) return {};
  std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return bytes;
}

// A signature by the token key that the certificate's public key verifies: for keys whose
// token does not reveal the public half (EC keys imported without their public key object).
bool signature_proves_match(EVP_PKEY* token_key, X509* certificate) {
  unsigned char challenge[32];
  if (RAND_bytes(challenge, sizeof challenge) != 1) return false;
  const std::string_view data(reinterpret_cast<const char*>(challenge), sizeof challenge);
  const std::vector<std::uint8_t> signature = sign_with_key(token_key, data);
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  bool verified = context &&
                  EVP_DigestVerifyInit(context.get(), &key_context, EVP_sha256(), nullptr,
                                       X509_get0_pubkey(certificate)) == 1 &&
                  (!EVP_PKEY_is_a(X509_get0_pubkey(certificate), "RSA") ||
                   EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) == 1) &&
                  EVP_DigestVerify(context.get(), signature.data(), signature.size(), challenge,
                                   sizeof challenge) == 1;
  ERR_clear_error();
  return verified;
}

struct OpenedKey {
  EvpPkeyPtr key;
  std::shared_ptr<TokenSession> session;
  std::string uri;  // names exactly the key, for messages
};

// Hands module and key to a TokenSession and wraps the key; checks type and (given a
// certificate) that the key belongs to it.
OpenedKey open_token_key(std::shared_ptr<PinContext> pins, std::unique_ptr<Module> module,
                         const FoundKey& found, X509* certificate, const DebugSink& debug_sink) {
  PKCS11_KEY* key = found.key;
  PKCS11_TOKEN* token = found.slot->token;
  const std::string key_uri =
      object_uri(token, key->label, key->id, key->id_len, ObjectType::kPrivateKey);
  EvpPkeyPtr token_key(libp11().get_private_key(key));
  if (!token_key)
    throw Error(Error::Kind::kInput,
                "cannot use the private key " + key_uri + take_failure_reason());
  pins->key_description = "key '" + std::string(key->label ? key->label : "") +
                          "' on PKCS#11 token " + describe_token(token);
  KeyLocation location{
      module->path(), token->label ? token->label : "", token->serialnr ? token->serialnr : "",
      std::vector<unsigned char>(key->id, key->id + key->id_len), key->label ? key->label : ""};
  const bool public_known = has_public_key(token_key.get());
  EVP_PKEY* public_half = token_key.get();
  if (!public_known && certificate) public_half = X509_get0_pubkey(certificate);
  const std::string token_public_der = public_known ? public_key_der(token_key.get()) : "";

  auto session = std::make_shared<TokenSession>(std::move(pins), std::move(module),
                                                std::move(token_key), std::move(location));
  OpenedKey opened{make_token_key(session, public_half), session, key_uri};
  debug(debug_sink, "PKCS#11 key: " + key_uri);

  if (auto problem = [&]() -> std::optional<std::string> {
        try {
          check_key_supported(opened.key.get());
        } catch (const Error& error) {
          return std::string(error.what());
        }
        return std::nullopt;
      }())
    throw Error(Error::Kind::kCrypto, key_uri + ": " + *problem);

  if (certificate) {
    const bool matches = public_known
                             ? token_public_der == public_key_der(X509_get0_pubkey(certificate))
                             : signature_proves_match(opened.key.get(), certificate);
    if (!matches)
      throw Error(Error::Kind::kCrypto, "the private key " + key_uri +
                                            " does not match the certificate (" +
                                            subject_name(certificate) + ")");
  }
  return opened;
}

std::vector<X509*> certificates_on(PKCS11_TOKEN* token) {
  PKCS11_CERT* certificates = nullptr;
  unsigned int count = 0;
  std::vector<X509*> all;
  if (libp11().enumerate_certs(token, &certificates, &count) != 0) {
    ERR_clear_error();
    return all;
  }
  for (unsigned int i = 0; i < count; ++i)
    if (certificates[i].x509) all.push_back(certificates[i].x509);
  return all;
}

std::shared_ptr<PinContext> make_pins(const Pkcs11Options& options) {
  auto pins = std::make_shared<PinContext>();
  pins->prompt = options.prompt;
  pins->reuse_pin = options.reuse_pin;
  pins->reuse_pin_flag = options.labels.reuse_pin;
  return pins;
}

// Refuses combinations of a certificate and a key that cannot make a token identity.
void check_identity_sources(const Pkcs11Options& options, const std::optional<Uri>& certificate_uri,
                            const std::optional<Uri>& key_uri) {
  const IdentityLabels& labels = options.labels;
  if (!certificate_uri && !key_uri)
    throw Error(Error::Kind::kInternal, "load_pkcs11_identity without a pkcs11: URI");
  if (certificate_uri && !options.private_key.empty() && !key_uri)
    throw Error(Error::Kind::kInvalidArgument,
                label_or(labels.private_key, "the private key file") + " " + options.private_key +
                    ": with a certificate on a PKCS#11 token the key must be on a token too; "
                    "leave " +
                    label_or(labels.private_key, "it") + " out to use the certificate's own key");
  if (options.certificate.empty())
    throw Error(Error::Kind::kInvalidArgument,
                label_or(labels.certificate, "a certificate") + " is required with " +
                    (labels.private_key.empty() ? "the key " : "") + key_uri->shown() +
                    ": a certificate file, or a pkcs11: URI naming the certificate on the token");
}

struct IdentityCertificates {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;
  std::optional<FoundCertificate> on_token;  // set when the leaf came from the token
};

// The leaf from the token or a file; the chain from --intermediates when given, else from the
// token's other certificates or what followed the leaf in its file.
IdentityCertificates find_identity_certificates(const Pkcs11Options& options,
                                                const std::optional<Uri>& certificate_uri,
                                                const Module& module, PinContext& pins) {
  IdentityCertificates certificates;
  if (certificate_uri) {
    certificates.on_token = find_one_certificate(module, *certificate_uri, pins);
    PKCS11_CERT* found = certificates.on_token->certificate;
    PKCS11_TOKEN* token = certificates.on_token->slot->token;
    X509_up_ref(found->x509);
    certificates.leaf.reset(found->x509);
    debug(options.debug,
          "PKCS#11 certificate: " +
              object_uri(token, found->label, found->id, found->id_len, ObjectType::kCertificate));
    if (options.intermediates.empty()) {
      certificates.chain = issuer_chain(certificates.leaf.get(), certificates_on(token));
      debug(options.debug, "chain from the token: " + std::to_string(certificates.chain.size()) +
                               " issuing certificate(s)");
    }
  } else {
    CertificateBundle bundle = load_certificate_file(options.certificate, options.labels);
    certificates.leaf = std::move(bundle.leaf);
    certificates.chain = std::move(bundle.chain);
  }
  if (!options.intermediates.empty())
    certificates.chain = load_certificate_bundle_file(options.intermediates);
  return certificates;
}

// The key the key URI names, or else the one belonging to the certificate on the token; logs in
// to its token first.
FoundKey find_identity_key(const Module& module, const std::optional<Uri>& key_uri,
                           const std::optional<Uri>& certificate_uri,
                           const IdentityCertificates& certificates, PinContext& pins) {
  const std::optional<FoundCertificate>& token_certificate = certificates.on_token;
  if (key_uri) {
    PKCS11_SLOT* slot =
        one_token_for_key(module, *key_uri, token_certificate ? &*token_certificate : nullptr);
    log_in(slot, &*key_uri, pins);
    return find_key_for_uri(slot, *key_uri);
  }
  PKCS11_SLOT* slot = token_certificate->slot;
  log_in(slot, &*certificate_uri, pins);
  PKCS11_CERT* certificate = token_certificate->certificate;
  return key_for_certificate(slot, certificate->id, certificate->id_len, certificate->label,
                             certificates.leaf.get(), certificate_uri->shown());
}

}  // namespace

Identity load_pkcs11_identity(const Pkcs11Options& options, const Clock& clock) {
  const IdentityLabels& labels = options.labels;
  std::optional<Uri> certificate_uri = uri_from(options.certificate, labels.certificate);
  std::optional<Uri> key_uri = uri_from(options.private_key, labels.private_key);
  check_identity_sources(options, certificate_uri, key_uri);

  const Uri* module_uri = key_uri ? &*key_uri : &*certificate_uri;
  const std::string module_path = resolve_module_path(options.module, module_uri);
  auto pins = make_pins(options);
  auto module = std::make_unique<Module>(module_path, pins.get(), options.labels.pkcs11_module);
  debug(options.debug, "PKCS#11 module: " + module_path);

  IdentityCertificates certificates =
      find_identity_certificates(options, certificate_uri, *module, *pins);
  const FoundKey key = find_identity_key(*module, key_uri, certificate_uri, certificates, *pins);
  X509Ptr leaf = std::move(certificates.leaf);

  OpenedKey opened = open_token_key(pins, std::move(module), key, leaf.get(), options.debug);
  const std::string& where = certificate_uri ? certificate_uri->shown()
                                             : label_or(labels.certificate, "certificate file") +
                                                   " " + options.certificate;
  try {
    check_certificate_validity(leaf.get(), clock.now());
  } catch (const Error& error) {
    throw Error(error.kind(), where + ": " + error.what());
  }
  return Identity(std::move(leaf), std::move(certificates.chain), std::move(opened.key),
                  std::move(opened.session));
}

EvpPkeyPtr load_pkcs11_key(const Pkcs11Options& options) {
  const bool from_key_flag = is_pkcs11_uri(options.private_key);
  std::optional<Uri> key_uri = from_key_flag
                                   ? uri_from(options.private_key, options.labels.private_key)
                                   : uri_from(options.certificate, options.labels.certificate);
  if (!key_uri) throw Error(Error::Kind::kInternal, "load_pkcs11_key without a pkcs11: URI");
  const std::string module_path = resolve_module_path(options.module, &*key_uri);
  auto pins = make_pins(options);
  auto module = std::make_unique<Module>(module_path, pins.get(), options.labels.pkcs11_module);
  debug(options.debug, "PKCS#11 module: " + module_path);
  // A certificate file beside the key URI supplies the public half when the token hides it,
  // and is checked against the key.
  X509Ptr certificate;
  if (from_key_flag && !options.certificate.empty() && !is_pkcs11_uri(options.certificate))
    certificate = std::move(load_certificate_file(options.certificate, options.labels).leaf);
  PKCS11_SLOT* slot = one_token_for_key(*module, *key_uri, nullptr);
  log_in(slot, &*key_uri, *pins);
  FoundKey key = find_key_for_uri(slot, *key_uri);
  return std::move(
      open_token_key(pins, std::move(module), key, certificate.get(), options.debug).key);
}

std::vector<Pkcs11Certificate> list_pkcs11_certificates(const std::string& text,
                                                        const std::string& module_flag,
                                                        const DebugSink& debug_sink,
                                                        const IdentityLabels& labels) {
  const Uri uri(text, labels.certificate);
  const std::string module_path = resolve_module_path(module_flag, &uri);
  PinContext pins;  // no prompt: listing logs in only with a PIN the URI carries
  Module module(module_path, &pins, labels.pkcs11_module);
  debug(debug_sink, "PKCS#11 module: " + module_path);
  const std::vector<PKCS11_SLOT*> tokens = matching_tokens(module, uri);
  std::vector<FoundCertificate> found = find_certificates(tokens, uri);
  if (found.empty() && tokens.size() == 1 && uri.pin()) {
    log_in(tokens.front(), &uri, pins);
    found = find_certificates(tokens, uri);
  }
  std::vector<Pkcs11Certificate> listing;
  for (const FoundCertificate& certificate : found) {
    X509_up_ref(certificate.certificate->x509);
    listing.push_back({X509Ptr(certificate.certificate->x509),
                       object_uri(certificate.slot->token, certificate.certificate->label,
                                  certificate.certificate->id, certificate.certificate->id_len,
                                  ObjectType::kCertificate)});
  }
  return listing;
}

}  // namespace rolesanywhere
