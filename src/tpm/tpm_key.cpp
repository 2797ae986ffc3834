// Loading a TPM key (a TSS2 key file, or a persistent handle) through tpm2-openssl, and signing
// with it. What decides a password is settled before the TPM sees the key: the flags, else the
// key file's emptyAuth, else (a handle) the person is asked, once. The key carries a
// TpmKeySigner, which signs in the key's own library context, reads the TPM's failures, never
// lets a refused password be tried again, and loads the key again once when the TPM went away.
#include "tpm_context.hpp"
#include "tss2_key_file.hpp"
#include "tss2_rc.hpp"

#include "identity/identity_detail.hpp"
#include "identity/key_signer.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"
#include "rolesanywhere/tpm.hpp"

#include <sys/stat.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include <cctype>
#include <cstring>
#include <mutex>

namespace rolesanywhere {
namespace tpm_detail {
namespace {

using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, OpensslDeleter<OSSL_DECODER_CTX_free>>;
using StoreCtxPtr = std::unique_ptr<OSSL_STORE_CTX, OpensslDeleter<OSSL_STORE_close>>;
using StoreInfoPtr = std::unique_ptr<OSSL_STORE_INFO, OpensslDeleter<OSSL_STORE_INFO_free>>;
using UiMethodPtr = std::unique_ptr<UI_METHOD, OpensslDeleter<UI_destroy_method>>;

constexpr std::string_view kHandlePrefix = "handle:";
constexpr std::uint32_t kFirstPersistent = 0x81000000;
constexpr std::uint32_t kLastPersistent = 0x81ffffff;

// Everything needed to load the key again (the TPM went away) without asking anyone.
struct KeyRecipe {
  std::string reference;    // handle:0x81000002, or the key file's path
  SecretString file_bytes;  // a key file's contents, read once (its private part is sealed by
                            // the TPM; wiped all the same, as every key file is)
  bool is_handle = false;
  std::string label;                     // "TPM key --private-key /x/key.tss"
  std::optional<SecretString> password;  // nullopt: the key is loaded without one
  std::string password_flag;             // "--tpm-key-password", for hints
  DebugSink debug;
};

// "0x81000002" → 0x81000002 when it names a persistent handle.
std::optional<std::uint32_t> persistent_handle(std::string_view value) {
  if (!value.starts_with(kHandlePrefix)) return std::nullopt;
  value.remove_prefix(kHandlePrefix.size());
  if (value.size() != 10 || !(value.starts_with("0x") || value.starts_with("0X")))
    return std::nullopt;
  std::uint32_t handle = 0;
  for (char c : value.substr(2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    handle = handle * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(c))
                                                          ? c - '0'
                                                          : (c | 0x20) - 'a' + 10);
  }
  if (handle < kFirstPersistent || handle > kLastPersistent) return std::nullopt;
  return handle;
}

// The answer OpenSSL's password callback gives: the password settled before loading.
struct PasswordSupply {
  const std::optional<SecretString>* password;
  bool asked = false;
};

int supply_password(char* buffer, int size, int /*rwflag*/, void* user_data) noexcept {
  auto* supply = static_cast<PasswordSupply*>(user_data);
  supply->asked = true;
  if (!supply->password->has_value()) return -1;
  const std::string& text = (*supply->password)->reveal();
  if (size < 0 || text.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, text.data(), text.size());
  return static_cast<int>(text.size());
}

std::string no_password_hint(const KeyRecipe& recipe) {
  return recipe.password_flag.empty() ? "" : ": give it with " + recipe.password_flag;
}

// A key file: tpm2-openssl's decoders load it under its parent. They keep the TPM's reason
// to themselves (OpenSSL drops a decoder's errors), but the file was parsed before and the TPM
// answers: what remains is a key this TPM cannot unwrap.
EvpPkeyPtr load_key_file(const TpmContext& context, const KeyRecipe& recipe,
                         const Tss2KeyFile& facts) {
  PasswordSupply supply{&recipe.password};
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr decoder(OSSL_DECODER_CTX_new_for_pkey(
      &raw, nullptr, nullptr, nullptr, EVP_PKEY_KEYPAIR, context.libctx(), kTpmPropertyQuery));
  if (!decoder ||
      OSSL_DECODER_CTX_set_pem_password_cb(decoder.get(), supply_password, &supply) != 1)
    throw Error(Error::Kind::kInternal,
                "cannot set up the TPM key decoder: " + openssl_error_text());
  const std::string& bytes = recipe.file_bytes.reveal();
  const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t remaining = bytes.size();
  const bool decoded = OSSL_DECODER_from_data(decoder.get(), &cursor, &remaining) == 1;
  EvpPkeyPtr key(raw);
  ERR_clear_error();
  if (decoded && key) return key;
  if (supply.asked && !recipe.password)
    throw Error(Error::Kind::kInput, recipe.label + " has a password" + no_password_hint(recipe));
  throw Error(Error::Kind::kCrypto,
              recipe.label + " cannot be loaded into the TPM reached through " +
                  context.reached_through() + ": the TPM cannot unwrap it under " +
                  facts.parent_description() +
                  ", so it was made by another TPM (or before this one was cleared); a key file "
                  "works only with the TPM that made it");
}

// A persistent handle, through tpm2-openssl's handle: store; "?pass" makes it ask for the
// password, without which it uses an empty one.
EvpPkeyPtr load_handle(const TpmContext& context, const KeyRecipe& recipe) {
  PasswordSupply supply{&recipe.password};
  const UiMethodPtr ui(UI_UTIL_wrap_read_pem_callback(supply_password, 0));
  if (!ui) throw Error(Error::Kind::kInternal, "cannot set up a password callback");
  const std::string uri = recipe.reference + (recipe.password ? "?pass" : "");
  ERR_clear_error();
  StoreCtxPtr store(OSSL_STORE_open_ex(uri.c_str(), context.libctx(), kTpmPropertyQuery, ui.get(),
                                       &supply, nullptr, nullptr, nullptr));
  EvpPkeyPtr key;
  while (store && !key && !OSSL_STORE_eof(store.get())) {
    StoreInfoPtr info(OSSL_STORE_load(store.get()));
    if (!info) break;
    if (OSSL_STORE_INFO_get_type(info.get()) == OSSL_STORE_INFO_PKEY)
      key.reset(OSSL_STORE_INFO_get1_PKEY(info.get()));
  }
  if (key) {
    ERR_clear_error();
    return key;
  }
  const TpmError error = take_tpm_error();
  const TpmFailure failure = error.rc ? classify_tss2_rc(*error.rc) : TpmFailure::kOther;
  if (failure == TpmFailure::kNoSuchObject)
    throw Error(Error::Kind::kInput,
                recipe.label + " does not exist in the TPM reached through " +
                    context.reached_through() +
                    " (tpm2_getcap handles-persistent lists the persistent handles there)");
  throw Error(Error::Kind::kCrypto,
              recipe.label + " cannot be loaded from the TPM reached through " +
                  context.reached_through() + (error.text.empty() ? "" : ": " + error.text));
}

EvpPkeyPtr load_key(const TpmContext& context, const KeyRecipe& recipe,
                    const std::optional<Tss2KeyFile>& facts) {
  EvpPkeyPtr key =
      recipe.is_handle ? load_handle(context, recipe) : load_key_file(context, recipe, *facts);
  if (!EVP_PKEY_is_a(key.get(), "RSA") && !EVP_PKEY_is_a(key.get(), "EC"))
    throw Error(Error::Kind::kCrypto, recipe.label + " is neither an RSA nor an EC key");
  debug(recipe.debug, "TPM: loaded " + recipe.label +
                          (facts ? " (parent: " + facts->parent_description() + ")" : "") +
                          (recipe.password ? ", with a password" : ", without a password"));
  return key;
}

class TpmKeySigner final : public identity_detail::KeySigner {
 public:
  TpmKeySigner(std::shared_ptr<TpmContext> context, KeyRecipe recipe,
               std::optional<Tss2KeyFile> facts)
      : recipe_(std::move(recipe)), facts_(std::move(facts)), context_(std::move(context)) {}

  std::vector<std::uint8_t> sign(EVP_PKEY* key, std::string_view data, Digest digest) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    // The TPM refused this key's password (or all passwords): asking it again would only count
    // one more failure toward its lockout.
    if (refused_) throw *refused_;
    for (bool reopened = false;; reopened = true) {
      EVP_PKEY* signing_key = reloaded_key_ ? reloaded_key_.get() : key;
      OSSL_LIB_CTX* libctx = reloaded_key_ ? reloaded_context_->libctx() : context_->libctx();
      ERR_clear_error();
      std::vector<std::uint8_t> signature =
          identity_detail::evp_sign(signing_key, data, digest, libctx, kTpmPropertyQuery, true);
      if (!signature.empty()) return signature;
      const TpmError error = take_tpm_error();
      const TpmFailure failure = error.rc ? classify_tss2_rc(*error.rc) : TpmFailure::kOther;
      if (failure == TpmFailure::kGone && !reopened) {
        reload(error);
        continue;
      }
      Error described = describe(failure, error);
      if (failure == TpmFailure::kAuthorization || failure == TpmFailure::kLockout)
        refused_ = described;
      throw described;
    }
  }

 private:
  // The TPM restarted (its loaded objects are gone) or its connection broke: a new connection,
  // and the key loaded again through it, with the password settled at the first load.
  void reload(const TpmError& why) {
    debug(recipe_.debug,
          "TPM: the TPM went away (" + why.text + "); loading " + recipe_.label + " again");
    try {
      std::shared_ptr<TpmContext> context = TpmContext::open(recipe_.debug);
      EvpPkeyPtr key = load_key(*context, recipe_, facts_);
      reloaded_key_.reset();  // before the context it came from
      reloaded_context_ = std::move(context);
      reloaded_key_ = std::move(key);
    } catch (const Error& error) {
      throw Error(error.kind(), "the TPM went away (" + why.text + ") and " + recipe_.label +
                                    " could not be loaded again: " + error.what());
    }
  }

  Error describe(TpmFailure failure, const TpmError& error) const {
    const std::string said = error.text.empty() ? "" : " (" + error.text + ")";
    switch (failure) {
      case TpmFailure::kAuthorization:
        if (!recipe_.password || recipe_.password->empty())
          return Error(Error::Kind::kCrypto,
                       recipe_.label + " has a password; the TPM refused it without one" + said +
                           no_password_hint(recipe_) +
                           ". Not tried again: the TPM counts every failure toward its "
                           "dictionary-attack lockout");
        return Error(Error::Kind::kCrypto,
                     "wrong password for " + recipe_.label + said +
                         ". Not tried again: the TPM counts every failure toward its "
                         "dictionary-attack lockout");
      case TpmFailure::kLockout:
        return Error(Error::Kind::kCrypto,
                     "the TPM refuses " + recipe_.label +
                         ": it is in dictionary-attack lockout after too many wrong passwords" +
                         said +
                         "; it accepts passwords again when its lockout interval has passed (or "
                         "after tpm2_dictionarylockout --clear-lockout)");
      case TpmFailure::kCannotSign:
        return Error(Error::Kind::kCrypto,
                     recipe_.label + " cannot sign" + said +
                         ": Roles Anywhere needs a TPM key with the sign attribute");
      case TpmFailure::kGone:
        return Error(Error::Kind::kTransport,
                     "the TPM stopped answering for " + recipe_.label + said);
      case TpmFailure::kNoSuchObject:
      case TpmFailure::kOther:
        break;
    }
    return Error(Error::Kind::kCrypto, "signing with " + recipe_.label + " in the TPM failed" +
                                           (error.text.empty() ? "" : ": " + error.text));
  }

  std::mutex mutex_;
  KeyRecipe recipe_;
  std::optional<Tss2KeyFile> facts_;
  std::optional<Error> refused_;
  // Contexts before keys: a key is freed before the context it lives in.
  std::shared_ptr<TpmContext> context_;           // the first load's (the EVP_PKEY signed for)
  std::shared_ptr<TpmContext> reloaded_context_;  // after the TPM went away
  EvpPkeyPtr reloaded_key_;
};

std::string tpm_label(const IdentityLabels& labels, const std::string& value) {
  return "TPM key " + (labels.private_key.empty() ? value : labels.private_key + " " + value);
}

// The password to load with, settled before the TPM sees the key; nullopt: none.
std::optional<SecretString> settle_password(const TpmKeyOptions& options, const KeyRecipe& recipe,
                                            const std::optional<Tss2KeyFile>& facts) {
  const std::string& given = options.labels.tpm_key_password;
  const std::string& none = options.labels.no_tpm_key_password;
  if (facts && facts->empty_auth) {
    if (options.password)
      debug(options.debug, "TPM: " + recipe.label + " has no password (emptyAuth); " +
                               label_or(given, "the password given") + " is not used");
    return std::nullopt;
  }
  if (options.password) return options.password;
  if (options.no_password)
    return facts ? std::optional<SecretString>(SecretString()) : std::nullopt;
  std::optional<SecretString> typed;
  if (options.ask_password) typed = options.ask_password(recipe.label);
  if (typed) return typed;
  const std::string why = facts ? recipe.label + " has a password (its file says so)"
                                : recipe.label + " may have a password (a handle does not say)";
  std::string what_to_do = " and there is no terminal to ask for it";
  if (!given.empty())
    what_to_do += ": give it with " + given +
                  (facts || none.empty() ? "" : ", or " + none + " when the key has none");
  throw Error(Error::Kind::kInput, why + what_to_do);
}

bool is_regular_file(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

}  // namespace
}  // namespace tpm_detail

bool is_tpm_handle(std::string_view value) { return value.starts_with(tpm_detail::kHandlePrefix); }

bool is_tpm_key(const std::string& value) {
  if (is_tpm_handle(value)) return true;
  // Only a regular file: reading a pipe here would leave nothing for the key file loader.
  if (value.empty() || !tpm_detail::is_regular_file(value)) return false;
  try {
    return looks_like_tss2_key(identity_detail::read_input_file(value, value).reveal());
  } catch (const Error&) {
    return false;  // the file loader reports what is wrong with it
  }
}

EvpPkeyPtr load_tpm_key(const TpmKeyOptions& options) {
  using namespace tpm_detail;
  KeyRecipe recipe;
  recipe.reference = options.key;
  recipe.is_handle = is_tpm_handle(options.key);
  recipe.label = tpm_label(options.labels, options.key);
  recipe.password_flag = options.labels.tpm_key_password;
  recipe.debug = options.debug;
  std::optional<Tss2KeyFile> facts;
  if (recipe.is_handle) {
    if (!persistent_handle(options.key))
      throw Error(Error::Kind::kInvalidArgument,
                  label_or(options.labels.private_key, "TPM key") + " " + options.key +
                      ": a TPM handle is written handle:0x81xxxxxx (a persistent handle, eight "
                      "hexadecimal digits)");
  } else {
    const std::string file_label =
        identity_detail::file_label(options.labels.private_key, "TPM key file", options.key);
    recipe.file_bytes = identity_detail::read_input_file(options.key, file_label);
    facts = parse_tss2_key(recipe.file_bytes.reveal(), file_label);
    if (facts->key_type != kTpmAlgRsa && facts->key_type != kTpmAlgEcc)
      throw Error(Error::Kind::kCrypto,
                  recipe.label +
                      " is neither an RSA nor an EC key: it cannot sign for Roles "
                      "Anywhere");
    if (!facts->can_sign())
      throw Error(Error::Kind::kCrypto,
                  recipe.label +
                      " cannot sign: its sign attribute is not set (a key made for "
                      "decryption or storage); Roles Anywhere needs a signing key");
  }

  std::shared_ptr<TpmContext> context = TpmContext::open(options.debug);
  recipe.password = settle_password(options, recipe, facts);
  EvpPkeyPtr key = load_key(*context, recipe, facts);
  identity_detail::attach_signer(
      key.get(), std::make_shared<TpmKeySigner>(std::move(context), std::move(recipe), facts));
  return key;
}

}  // namespace rolesanywhere
