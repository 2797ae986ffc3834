// The signing key that lives on a token. libp11's EVP_PKEY dies with its context and cannot
// outlive a token removal, so the key we hand out is our own RSA/EC key whose private operation
// calls into a TokenSession: one logged-in session reused for every signature, re-opened once
// when the token went away. The method hooks are OpenSSL's legacy RSA_METHOD/EC_KEY_METHOD,
// the same mechanism libp11 itself uses; OpenSSL 3 keeps such "foreign" keys on the legacy
// path, so EVP_DigestSign drives them like any other key.
#define OPENSSL_SUPPRESS_DEPRECATED  // RSA_METHOD and EC_KEY_METHOD: see above

#include "p11_api.hpp"
#include "pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <p11-kit/pkcs11.h>

#include <cstring>

namespace rolesanywhere::pkcs11_detail {
namespace {

struct SessionHolder {
  std::shared_ptr<TokenSession> session;
};

void free_holder(void*, void* holder, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<SessionHolder*>(holder);
}

int rsa_index() {
  static const int index = RSA_get_ex_new_index(0, nullptr, nullptr, nullptr, free_holder);
  return index;
}

int ec_index() {
  static const int index = EC_KEY_get_ex_new_index(0, nullptr, nullptr, nullptr, free_holder);
  return index;
}

TokenSession* session_of_rsa(RSA* rsa) {
  auto* holder = static_cast<SessionHolder*>(RSA_get_ex_data(rsa, rsa_index()));
  return holder ? holder->session.get() : nullptr;
}

TokenSession* session_of_ec(EC_KEY* ec) {
  auto* holder = static_cast<SessionHolder*>(EC_KEY_get_ex_data(ec, ec_index()));
  return holder ? holder->session.get() : nullptr;
}

int token_rsa_private_encrypt(int length, const unsigned char* from, unsigned char* to, RSA* rsa,
                              int padding) {
  TokenSession* session = session_of_rsa(rsa);
  if (!session) return -1;
  int result = -1;
  const bool signed_ok = session->run([&](EVP_PKEY* key) {
    RSA* token_rsa = const_cast<RSA*>(EVP_PKEY_get0_RSA(key));
    result = token_rsa ? RSA_private_encrypt(length, from, to, token_rsa, padding) : -1;
    return result > 0;
  });
  return signed_ok ? result : -1;
}

int token_ec_sign(int type, const unsigned char* digest, int digest_length,
                  unsigned char* signature, unsigned int* signature_length, const BIGNUM*,
                  const BIGNUM*, EC_KEY* ec) {
  TokenSession* session = session_of_ec(ec);
  if (!session) return 0;
  return session->run([&](EVP_PKEY* key) {
    EC_KEY* token_ec = const_cast<EC_KEY*>(EVP_PKEY_get0_EC_KEY(key));
    return token_ec &&
           ECDSA_sign(type, digest, digest_length, signature, signature_length, token_ec) == 1;
  })
             ? 1
             : 0;
}

ECDSA_SIG* token_ec_sign_sig(const unsigned char* digest, int digest_length, const BIGNUM*,
                             const BIGNUM*, EC_KEY* ec) {
  TokenSession* session = session_of_ec(ec);
  if (!session) return nullptr;
  ECDSA_SIG* result = nullptr;
  session->run([&](EVP_PKEY* key) {
    EC_KEY* token_ec = const_cast<EC_KEY*>(EVP_PKEY_get0_EC_KEY(key));
    result = token_ec ? ECDSA_do_sign(digest, digest_length, token_ec) : nullptr;
    return result != nullptr;
  });
  return result;
}

const RSA_METHOD* token_rsa_method() {
  static RSA_METHOD* method = [] {
    RSA_METHOD* created = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    RSA_meth_set1_name(created, "rolesanywhere PKCS#11 token key");
    RSA_meth_set_priv_enc(created, token_rsa_private_encrypt);
    return created;
  }();
  return method;
}

const EC_KEY_METHOD* token_ec_method() {
  static EC_KEY_METHOD* method = [] {
    EC_KEY_METHOD* created = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    int (*setup)(EC_KEY*, BN_CTX*, BIGNUM**, BIGNUM**) = nullptr;
    EC_KEY_METHOD_get_sign(created, nullptr, &setup, nullptr);
    EC_KEY_METHOD_set_sign(created, token_ec_sign, setup, token_ec_sign_sig);
    return created;
  }();
  return method;
}

bool same_bytes(const std::vector<unsigned char>& a, const unsigned char* b, std::size_t length) {
  return a.size() == length && (length == 0 || std::memcmp(a.data(), b, length) == 0);
}

}  // namespace

bool has_public_key(EVP_PKEY* key) {
  if (const RSA* rsa = EVP_PKEY_get0_RSA(key)) return RSA_get0_n(rsa) != nullptr;
  ERR_clear_error();
  if (const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key)) return EC_KEY_get0_public_key(ec) != nullptr;
  ERR_clear_error();
  return false;
}

EvpPkeyPtr make_token_key(std::shared_ptr<TokenSession> session, EVP_PKEY* public_half) {
  EvpPkeyPtr key(EVP_PKEY_new());
  if (!key) throw Error(Error::Kind::kInternal, "out of memory");
  if (const RSA* source = EVP_PKEY_get0_RSA(public_half)) {
    RSA* rsa = RSA_new();
    if (!rsa || RSA_set_method(rsa, token_rsa_method()) != 1 ||
        RSA_set0_key(rsa, BN_dup(RSA_get0_n(source)), BN_dup(RSA_get0_e(source)), nullptr) != 1 ||
        RSA_set_ex_data(rsa, rsa_index(), new SessionHolder{std::move(session)}) != 1 ||
        EVP_PKEY_assign_RSA(key.get(), rsa) != 1) {
      RSA_free(rsa);
      throw Error(Error::Kind::kInternal,
                  "cannot build the RSA token key: " + openssl_error_text());
    }
    return key;
  }
  ERR_clear_error();
  if (const EC_KEY* source = EVP_PKEY_get0_EC_KEY(public_half)) {
    EC_KEY* ec = EC_KEY_new();
    if (!ec || EC_KEY_set_method(ec, token_ec_method()) != 1 ||
        EC_KEY_set_group(ec, EC_KEY_get0_group(source)) != 1 ||
        (EC_KEY_get0_public_key(source) &&
         EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(source)) != 1) ||
        EC_KEY_set_ex_data(ec, ec_index(), new SessionHolder{std::move(session)}) != 1 ||
        EVP_PKEY_assign_EC_KEY(key.get(), ec) != 1) {
      EC_KEY_free(ec);
      throw Error(Error::Kind::kInternal, "cannot build the EC token key: " + openssl_error_text());
    }
    return key;
  }
  ERR_clear_error();
  throw Error(Error::Kind::kCrypto, "the token key is neither RSA nor EC");
}

TokenSession::TokenSession(std::shared_ptr<PinContext> pins, std::unique_ptr<Module> module,
                           EvpPkeyPtr key, KeyLocation location)
    : pins_(std::move(pins)),
      module_(std::move(module)),
      key_(std::move(key)),
      location_(std::move(location)) {}

TokenSession::~TokenSession() {
  key_.reset();  // before the module that backs it
  module_.reset();
}

bool TokenSession::run(const std::function<bool(EVP_PKEY*)>& operation) {
  std::lock_guard<std::mutex> lock(mutex_);
  pins_->context_pin_failure.clear();
  if (key_ && operation(key_.get())) return true;

  const std::optional<unsigned long> rv = key_ ? pending_ckr() : std::nullopt;
  if (!pins_->context_pin_failure.empty()) {
    ERR_clear_error();
    raise_sign_problem(SignProblem::kNoContextPin, pins_->reuse_pin_flag);
    return false;
  }
  if (rv == CKR_PIN_INCORRECT) {
    // A typed context PIN was wrong: ask again next time rather than repeat it; a reused user
    // PIN that the key refuses is not offered again (each refusal counts towards locking).
    pins_->context_pin.reset();
    if (pins_->reuse_pin) pins_->reuse_pin = false;
    return false;
  }
  if (key_ && (!rv || !means_token_went_away(*rv))) return false;  // the token's own answer

  ERR_clear_error();
  try {
    reopen();
  } catch (const Error&) {
    raise_sign_problem(SignProblem::kReopenFailed);
    return false;
  }
  if (operation(key_.get())) return true;
  if (!pins_->context_pin_failure.empty()) {
    ERR_clear_error();
    raise_sign_problem(SignProblem::kNoContextPin, pins_->reuse_pin_flag);
  }
  return false;
}

void TokenSession::reopen() {
  key_.reset();
  module_.reset();
  auto module = std::make_unique<Module>(location_.module_path, pins_.get());
  PKCS11_SLOT* slot = nullptr;
  for (PKCS11_SLOT* candidate : module->token_slots())
    if (location_.token_label == (candidate->token->label ? candidate->token->label : "") &&
        location_.token_serial == (candidate->token->serialnr ? candidate->token->serialnr : ""))
      slot = candidate;
  if (!slot)
    throw Error(Error::Kind::kInput, "PKCS#11 token '" + location_.token_label + "' (serial " +
                                         location_.token_serial + ") is not present");
  log_in(slot, nullptr, *pins_);
  for (const FoundKey& found : find_keys(slot, nullptr)) {
    PKCS11_KEY* key = found.key;
    if (same_bytes(location_.key_id, key->id, key->id_len) &&
        location_.key_label == (key->label ? key->label : "")) {
      EVP_PKEY* token_key = libp11().get_private_key(key);
      if (!token_key) break;
      key_.reset(token_key);
      module_ = std::move(module);
      ++reopen_count_;
      return;
    }
  }
  throw Error(Error::Kind::kInput,
              "the key is no longer on PKCS#11 token '" + location_.token_label + "'");
}

}  // namespace rolesanywhere::pkcs11_detail
