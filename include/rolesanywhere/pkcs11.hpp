// Keys and certificates on PKCS#11 tokens (smart cards, YubiKeys, HSMs), named by RFC 7512 URIs.
// A token key becomes one more way to build the same Identity: the EVP_PKEY it returns signs
// through the token, keeps its module, logged-in session and PIN alive by itself, and re-opens
// the session once when the token was removed and put back.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/openssl_ptr.hpp"
#include "rolesanywhere/secret.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere {

// True for "pkcs11:..." as p11-kit reads it: the scheme in any case, with the whitespace p11-kit
// removes from URIs (space, line feed, carriage return, vertical tab) anywhere.
bool is_pkcs11_uri(std::string_view value);

// The parts of a pkcs11: URI that hold its PIN or may hold one, found as p11-kit's parser reads
// the URI (whitespace removed first, so "pin-va lue=1234" sets the PIN): the value of pin-value,
// of any attribute p11-kit does not know (a misspelt, upper-case or percent-encoded pin-value),
// of any attribute holding '=' (one joined on with the wrong separator), and text without '='.
// Values of the attributes that name things (token, object, id, type, pin-source, module-path,
// ...) are not secret and stay. Offsets into `uri`, in order, not overlapping.
struct Pkcs11UriSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
};
std::vector<Pkcs11UriSpan> pkcs11_uri_secret_spans(std::string_view uri);
// `uri` with each of those parts replaced by "<hidden>": how every message shows a URI.
std::string hide_pkcs11_uri_secrets(std::string_view uri);

// Asks the person for a PIN, `prompt` naming the token or key ("PIN for PKCS#11 token 'x': ").
// Supplied by the CLI (the library never touches a terminal); throws Error when nobody can be
// asked. Called at most once per PIN: a wrong PIN is an error, never a second question.
using PinPrompt = std::function<SecretString(const std::string& prompt)>;

struct Pkcs11Options {
  // --certificate: a pkcs11: URI (certificate on the token) or a certificate file; may be empty
  // when only a key is wanted (sign-string).
  std::string certificate;
  // --private-key: a pkcs11: URI; empty means "the key that belongs to the certificate URI".
  // A URI that names only a certificate finds that certificate's key (same id, then label,
  // then public key).
  std::string private_key;
  std::string intermediates;  // --intermediates file; replaces the chain found on the token
  // --pkcs11-lib. Empty: the URI's module-path, else its module-name (through p11-kit's
  // configuration), else p11-kit-proxy, which reaches every module registered with p11-kit.
  std::string module;
  bool reuse_pin = false;  // --reuse-pin: the user PIN also answers CKA_ALWAYS_AUTHENTICATE keys
  PinPrompt prompt;        // empty: a PIN missing from the URI is an error
  DebugSink debug;         // never receives a PIN
  // How messages name the flags above (certificate, private_key, intermediates, reuse_pin,
  // pkcs11_module); empty names show the URI or file alone.
  IdentityLabels labels;
};

// The identity for a pkcs11: --certificate (token only) or --private-key (hybrid). Checks the
// key type, that key and certificate match, and the certificate's validity. The chain is
// --intermediates when given, else what followed the leaf in a certificate file, else the
// certificates on the token that issue the leaf (by name and signature, up to a self-signed
// root, which is left out).
Identity load_pkcs11_identity(const Pkcs11Options& options, const Clock& clock);

// Just the key (sign-string): from `private_key`, else the key of the `certificate` URI.
EvpPkeyPtr load_pkcs11_key(const Pkcs11Options& options);

// read-certificate-data: every certificate the URI matches, with a URI that names exactly it.
// Logs in only when the URI carries a PIN (pin-value or pin-source) and no public match exists.
struct Pkcs11Certificate {
  X509Ptr certificate;
  std::string uri;
};
// `labels` names the URI's flag (certificate) and the module's (pkcs11_module) in messages.
std::vector<Pkcs11Certificate> list_pkcs11_certificates(const std::string& uri,
                                                        const std::string& module,
                                                        const DebugSink& debug = {},
                                                        const IdentityLabels& labels = {});

}  // namespace rolesanywhere
