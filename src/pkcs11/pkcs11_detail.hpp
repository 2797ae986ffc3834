// Internal seams of the PKCS#11 module, shared by its source files and its unit tests only.
// libp11 does the token work (sessions, login, signing); p11-kit parses and formats URIs and
// knows the registered modules. Nothing here prints; every failure is an Error whose message
// names the URI (with any pin-value hidden: hide_pkcs11_uri_secrets), after its flag when the
// caller named one, and what is wrong.
#pragma once

#include "identity/identity_detail.hpp"
#include "rolesanywhere/pkcs11.hpp"

#include <libp11.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct p11_kit_uri;

namespace rolesanywhere::pkcs11_detail {

// --- CKR codes that libp11 leaves on the OpenSSL error queue (pkcs11_errors.cpp) ---

// The CKR_* value of the newest libp11 error on the queue, if any; the queue is left as it is.
std::optional<unsigned long> pending_ckr();
// "CKR_PIN_INCORRECT", or "CKR 0x..." for codes without a name here.
std::string ckr_name(unsigned long rv);
// " (CKR_x)" for the pending libp11 error, or "" when there is none; clears the queue.
std::string take_failure_reason();
// The token was removed (or removed and put back): the session is gone, a new one may work.
bool means_token_went_away(unsigned long rv);

// Why a signature failed for a reason of ours rather than the token's. Pushed onto the OpenSSL
// error queue, so the signer's message ("signing failed (sign): ...") carries the explanation.
// `reuse_pin_flag` ("--reuse-pin"; may be empty) is offered as the way out of kNoContextPin.
enum class SignProblem { kNoContextPin, kReopenFailed };
void raise_sign_problem(SignProblem problem, const std::string& reuse_pin_flag = {});

// --- URIs (pkcs11_uri.cpp) ---

enum class ObjectType { kAny, kCertificate, kPrivateKey, kOther };

class Uri {
 public:
  // Throws Error(kInvalidArgument) naming `flag` when `text` is not a valid PKCS#11 URI. An
  // empty `flag` shows the URI alone.
  Uri(const std::string& text, std::string flag);
  Uri(Uri&&) noexcept;
  ~Uri();

  // "--certificate pkcs11:token=x;object=y?pin-value=<hidden>": for messages.
  const std::string& shown() const noexcept { return shown_; }
  const std::string& flag() const noexcept { return flag_; }  // may be empty

  bool matches_token(PKCS11_SLOT* slot) const;
  // The object part: label (object=), id (id=), type (type=).
  bool matches_object(const char* label, const unsigned char* id, std::size_t id_length,
                      ObjectType type) const;
  ObjectType type() const;
  bool names_object() const;  // has object= or id=

  std::string module_path() const;
  std::string module_name() const;
  // pin-value, else the contents of pin-source (file:/path or /path); nullopt when neither.
  std::optional<SecretString> pin() const;

 private:
  std::unique_ptr<p11_kit_uri, void (*)(p11_kit_uri*)> uri_;
  std::string flag_;
  std::string shown_;
};

// --- the URI's text as p11-kit reads it, without p11-kit (uri_text.cpp) ---

// One attribute of a pkcs11: URI as p11_kit_uri_parse splits it: the whole URI without the
// whitespace p11-kit removes (space, LF, CR, VT), the path at ';' up to '?' (an empty attribute
// ends the path), the query at '&' only.
struct UriAttribute {
  std::string name;        // as p11-kit compares it: exactly, not percent-decoded
  std::string value;       // still percent-encoded; empty when has_value is false
  bool has_value = false;  // false for text without '=', which p11-kit refuses
  bool in_query = false;
  // Where the value (or, without '=', the whole attribute) is in the text given: whitespace
  // inside it included, around it not.
  std::size_t begin = 0;
  std::size_t end = 0;
};
// Every attribute, in order, also after the point where p11-kit would refuse the URI.
std::vector<UriAttribute> uri_attributes(std::string_view uri);
// Why p11-kit found an attribute it does not recognise in `uri`: which name is unknown, or which
// type= value is not an object type; never another attribute's value.
std::string describe_unrecognized_attribute(std::string_view uri);
// A URI naming exactly this object on this token: model, manufacturer, serial, token, id,
// object and type, percent-encoded by p11-kit.
std::string object_uri(PKCS11_TOKEN* token, const char* label, const unsigned char* id,
                       std::size_t id_length, ObjectType type);
// Reads a pin-source: "file:/path", "file:///path" or "/path"; one trailing newline dropped.
// The path is named in errors; the PIN never is.
SecretString read_pin_source(
    const std::string& source, const std::string& shown_uri,
    std::chrono::milliseconds timeout = identity_detail::kInputFileTimeout);

// --- PINs for logins and for CKA_ALWAYS_AUTHENTICATE keys (pin_context.cpp) ---

// Shared by the loader, the token session and libp11's UI callback. The user PIN is kept (wiped
// on destruction) to log in again after the token is re-inserted and, with --reuse-pin, to
// answer context-specific logins; a prompted context PIN is asked once and reused.
struct PinContext {
  PinPrompt prompt;
  bool reuse_pin = false;
  std::string reuse_pin_flag;  // how the caller names reuse_pin ("--reuse-pin"); may be empty
  std::optional<SecretString> user_pin;
  std::optional<SecretString> context_pin;
  std::string key_description;      // "key 'x' on token 'y'", for the prompt
  std::string context_pin_failure;  // why the last context PIN could not be had; "" if it could
};
// The UI_METHOD libp11 calls for context-specific PINs; its user data is a PinContext*.
UI_METHOD* context_pin_ui_method();

// --- the module and its slots (pkcs11_module.cpp) ---

// --pkcs11-lib, else the URI's module-path, else module-name looked up in p11-kit's
// configuration, else p11-kit-proxy.
std::string resolve_module_path(const std::string& flag_module, const Uri* uri);

class Module {
 public:
  // Loads and initialises the module and lists its slots. `pins` answers context-specific
  // logins and must outlive the module. `module_flag` ("--pkcs11-lib"; may be empty) is offered
  // when the module cannot be loaded.
  Module(const std::string& path, PinContext* pins, const std::string& module_flag = {});
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::string& path() const noexcept { return path_; }
  // Slots holding an initialised token.
  std::vector<PKCS11_SLOT*> token_slots() const;

 private:
  std::string path_;
  PKCS11_CTX* context_ = nullptr;
  PKCS11_SLOT* slots_ = nullptr;
  unsigned int slot_count_ = 0;
};

// --- finding tokens, certificates and keys (token_search.cpp) ---

// "'label' (serial X)"
std::string describe_token(PKCS11_TOKEN* token);
std::vector<PKCS11_SLOT*> matching_tokens(const Module& module, const Uri& uri);

// Logs in as the user unless the token needs no login or already is. The PIN comes from the
// URI (when given), else the PIN that worked before, else `pins.prompt`; one attempt only: a
// wrong PIN is an Error (and is forgotten), never a retry.
void log_in(PKCS11_SLOT* slot, const Uri* uri, PinContext& pins);

struct FoundCertificate {
  PKCS11_SLOT* slot;
  PKCS11_CERT* certificate;
};
struct FoundKey {
  PKCS11_SLOT* slot;
  PKCS11_KEY* key;
};
std::vector<FoundCertificate> find_certificates(const std::vector<PKCS11_SLOT*>& slots,
                                                const Uri& uri);
// Private keys on the token matching `uri` (all of them when it is null).
std::vector<FoundKey> find_keys(PKCS11_SLOT* slot, const Uri* uri);
// The key belonging to a certificate on the same token: the same CKA_ID, else the same label,
// else the same public key. Throws when none or several qualify.
FoundKey key_for_certificate(PKCS11_SLOT* slot, const unsigned char* id, std::size_t id_length,
                             const char* label, X509* certificate, const std::string& shown_uri);
// "\n  pkcs11:...\n  pkcs11:..." for ambiguity messages.
std::string list_uris(const std::vector<FoundCertificate>& certificates);
std::string list_uris(const std::vector<FoundKey>& keys);

// --- the chain from certificates on the token (token_chain.cpp) ---

// Issuers of `leaf` among `candidates`, nearest first, each checked by name and by signature;
// stops before a self-signed root. The leaf itself and unrelated certificates never appear.
std::vector<X509Ptr> issuer_chain(X509* leaf, const std::vector<X509*>& candidates);

// --- the signing key that lives on the token (token_key.cpp) ---

// Where the key was found, to find it again after the token comes back.
struct KeyLocation {
  std::string module_path;
  std::string token_label;
  std::string token_serial;
  std::vector<unsigned char> key_id;
  std::string key_label;
};

// The open module, its logged-in session and the libp11 key, kept for the life of the
// identity. Every signature goes through run(), which serialises them and re-opens once when
// the token went away (CKR_DEVICE_REMOVED, CKR_SESSION_HANDLE_INVALID, CKR_TOKEN_NOT_PRESENT...).
class TokenSession {
 public:
  TokenSession(std::shared_ptr<PinContext> pins, std::unique_ptr<Module> module, EvpPkeyPtr key,
               KeyLocation location);
  ~TokenSession();

  // `operation` signs with the libp11 key and returns false on failure.
  bool run(const std::function<bool(EVP_PKEY*)>& operation);
  int reopen_count() const noexcept { return reopen_count_; }
  const KeyLocation& location() const noexcept { return location_; }

 private:
  void reopen();

  std::mutex mutex_;
  std::shared_ptr<PinContext> pins_;  // first: libp11's UI callback points at it
  std::unique_ptr<Module> module_;
  EvpPkeyPtr key_;  // after module_: freed before the module is unloaded
  KeyLocation location_;
  int reopen_count_ = 0;
};

// Whether libp11 could read the public half (RSA modulus, EC point) of a token key.
bool has_public_key(EVP_PKEY* key);
// An EVP_PKEY whose private operations go through `session` (so it survives re-opening) and
// whose public half is `public_half`'s. It holds `session` alive until freed.
EvpPkeyPtr make_token_key(std::shared_ptr<TokenSession> session, EVP_PKEY* public_half);

}  // namespace rolesanywhere::pkcs11_detail
