// Finding the token, logging in once, and finding the certificate and key a URI names. A URI is
// a search: no match and several matches are both errors, the latter listing a URI for each
// candidate so the person can copy the one they meant.
#include "p11_api.hpp"
#include "pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"

#include <p11-kit/pkcs11.h>

#include <cstring>

namespace rolesanywhere::pkcs11_detail {
namespace {

std::string text_or_empty(const char* text) { return text ? text : ""; }

bool same_bytes(const unsigned char* a, std::size_t a_length, const unsigned char* b,
                std::size_t b_length) {
  return a_length == b_length && a_length > 0 && std::memcmp(a, b, a_length) == 0;
}

std::vector<FoundKey> all_keys(PKCS11_SLOT* slot) {
  PKCS11_KEY* keys = nullptr;
  unsigned int count = 0;
  if (libp11().enumerate_keys(slot->token, &keys, &count) != 0)
    throw Error(Error::Kind::kInput, "cannot list the keys on PKCS#11 token " +
                                         describe_token(slot->token) + take_failure_reason());
  std::vector<FoundKey> found;
  for (unsigned int i = 0; i < count; ++i)
    if (keys[i].isPrivate) found.push_back({slot, &keys[i]});
  return found;
}

// Whether libp11 could read the token key's public half and it is the certificate's.
// (libp11 0.4.12's PKCS11_get_public_key crashes on private key objects; the EVP_PKEY of
// PKCS11_get_private_key carries the public half when the token reveals it.)
bool key_has_public_key_of(PKCS11_KEY* key, X509* certificate) {
  EvpPkeyPtr token_key(libp11().get_private_key(key));
  const bool same = token_key && has_public_key(token_key.get()) &&
                    EVP_PKEY_eq(token_key.get(), X509_get0_pubkey(certificate)) == 1;
  ERR_clear_error();
  return same;
}

FoundKey only_key(const std::vector<FoundKey>& keys, const std::string& what) {
  if (keys.size() > 1)
    throw Error(Error::Kind::kInvalidArgument,
                std::to_string(keys.size()) + " private keys " + what +
                    "; name one with id= or object=:" + list_uris(keys));
  return keys.front();
}

}  // namespace

std::string describe_token(PKCS11_TOKEN* token) {
  return "'" + text_or_empty(token->label) + "' (serial " + text_or_empty(token->serialnr) + ")";
}

std::vector<PKCS11_SLOT*> matching_tokens(const Module& module, const Uri& uri) {
  std::vector<PKCS11_SLOT*> matches;
  for (PKCS11_SLOT* slot : module.token_slots())
    if (uri.matches_token(slot)) matches.push_back(slot);
  if (matches.empty()) {
    std::string present;
    for (PKCS11_SLOT* slot : module.token_slots())
      present += (present.empty() ? "" : ", ") + describe_token(slot->token);
    throw Error(Error::Kind::kInput,
                "no PKCS#11 token matches " + uri.shown() + " in module " + module.path() +
                    (present.empty() ? " (it offers no token)" : " (tokens: " + present + ")"));
  }
  return matches;
}

void log_in(PKCS11_SLOT* slot, const Uri* uri, PinContext& pins) {
  PKCS11_TOKEN* token = slot->token;
  if (!token->loginRequired) return;
  int logged_in = 0;
  if (libp11().is_logged_in(slot, 0, &logged_in) == 0 && logged_in) return;
  const std::string which = "PKCS#11 token " + describe_token(token);
  if (token->userPinLocked)
    throw Error(Error::Kind::kInput, "the user PIN of " + which + " is locked");

  std::optional<SecretString> pin;
  std::string from;
  if (token->secureLogin) {
    from = "the token's PIN pad";  // the PIN never passes through us
  } else if (uri && (pin = uri->pin())) {
    from = "the PIN from " + (uri->flag().empty() ? std::string("the URI") : uri->flag());
  } else if (pins.user_pin) {
    pin = pins.user_pin;
    from = "the PIN given before";
  } else if (pins.prompt) {
    pin = pins.prompt("PIN for " + which + ": ");
    from = "the PIN typed";
  } else {
    throw Error(Error::Kind::kInvalidArgument,
                which + " needs its user PIN: add pin-value=... or pin-source=file:/path to " +
                    (uri ? uri->shown() : std::string("the URI")));
  }

  // One attempt: every wrong PIN counts towards locking the token.
  if (libp11().login(slot, 0, pin ? pin->reveal().c_str() : nullptr) != 0) {
    const std::optional<unsigned long> rv = pending_ckr();
    ERR_clear_error();
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) {
      pins.user_pin.reset();  // never offered again, so nothing retries it
      throw Error(Error::Kind::kInvalidArgument,
                  "wrong PIN for " + which + ": " + from +
                      " was refused. Not trying again, as repeated failures lock the token" +
                      (token->userPinFinalTry ? " (the next failure locks it)" : ""));
    }
    if (rv == CKR_PIN_LOCKED)
      throw Error(Error::Kind::kInput, "the user PIN of " + which + " is locked");
    throw Error(Error::Kind::kInput,
                "cannot log in to " + which + (rv ? " (" + ckr_name(*rv) + ")" : std::string()));
  }
  if (pin) pins.user_pin = std::move(pin);
}

std::vector<FoundCertificate> find_certificates(const std::vector<PKCS11_SLOT*>& slots,
                                                const Uri& uri) {
  std::vector<FoundCertificate> found;
  for (PKCS11_SLOT* slot : slots) {
    PKCS11_CERT* certificates = nullptr;
    unsigned int count = 0;
    if (libp11().enumerate_certs(slot->token, &certificates, &count) != 0) {
      ERR_clear_error();  // a token we cannot read is one without matches
      continue;
    }
    for (unsigned int i = 0; i < count; ++i) {
      PKCS11_CERT* certificate = &certificates[i];
      if (certificate->x509 && uri.matches_object(certificate->label, certificate->id,
                                                  certificate->id_len, ObjectType::kCertificate))
        found.push_back({slot, certificate});
    }
  }
  return found;
}

std::vector<FoundKey> find_keys(PKCS11_SLOT* slot, const Uri* uri) {
  std::vector<FoundKey> found;
  for (const FoundKey& key : all_keys(slot))
    if (!uri ||
        uri->matches_object(key.key->label, key.key->id, key.key->id_len, ObjectType::kPrivateKey))
      found.push_back(key);
  return found;
}

FoundKey key_for_certificate(PKCS11_SLOT* slot, const unsigned char* id, std::size_t id_length,
                             const char* label, X509* certificate, const std::string& shown_uri) {
  const std::vector<FoundKey> keys = all_keys(slot);
  // The usual layout (PKCS#15, PIV, pkcs11-tool): key and certificate share CKA_ID.
  std::vector<FoundKey> same_id;
  for (const FoundKey& key : keys)
    if (same_bytes(key.key->id, key.key->id_len, id, id_length)) same_id.push_back(key);
  if (!same_id.empty()) return only_key(same_id, "share the certificate's id");

  std::vector<FoundKey> same_label;
  if (label && *label)
    for (const FoundKey& key : keys)
      if (key.key->label && std::strcmp(key.key->label, label) == 0) same_label.push_back(key);
  if (!same_label.empty()) return only_key(same_label, "share the certificate's label");

  std::vector<FoundKey> same_public_key;
  for (const FoundKey& key : keys)
    if (key_has_public_key_of(key.key, certificate)) same_public_key.push_back(key);
  if (!same_public_key.empty())
    return only_key(same_public_key, "hold the certificate's public key");

  throw Error(Error::Kind::kInput,
              "no private key on PKCS#11 token " + describe_token(slot->token) +
                  " belongs to the certificate of " + shown_uri +
                  " (looked for the same id, the same label and the same public key)");
}

std::string list_uris(const std::vector<FoundCertificate>& certificates) {
  std::string list;
  for (const FoundCertificate& found : certificates)
    list += "\n  " + object_uri(found.slot->token, found.certificate->label, found.certificate->id,
                                found.certificate->id_len, ObjectType::kCertificate);
  return list;
}

std::string list_uris(const std::vector<FoundKey>& keys) {
  std::string list;
  for (const FoundKey& found : keys)
    list += "\n  " + object_uri(found.slot->token, found.key->label, found.key->id,
                                found.key->id_len, ObjectType::kPrivateKey);
  return list;
}

}  // namespace rolesanywhere::pkcs11_detail
