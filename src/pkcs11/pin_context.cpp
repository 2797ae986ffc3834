// The PIN for a key with CKA_ALWAYS_AUTHENTICATE. libp11 asks for it through an OpenSSL UI
// before each signature; ours answers from the user PIN when reuse_pin (--reuse-pin) is set, from a
// PIN asked once and kept, or by asking through the CLI's prompt. It never reads a terminal itself,
// and when no PIN can be had it fails (recording why) instead of letting OpenSSL's console UI take
// over.
#include "pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"

#include <openssl/ui.h>

namespace rolesanywhere::pkcs11_detail {
namespace {

std::optional<SecretString> context_pin(PinContext& pins) {
  pins.context_pin_failure.clear();
  if (pins.reuse_pin && pins.user_pin) return pins.user_pin;
  if (pins.context_pin) return pins.context_pin;
  const std::string& flag = pins.reuse_pin_flag;
  if (!pins.prompt) {
    pins.context_pin_failure =
        pins.key_description + " needs its PIN for every signature (CKA_ALWAYS_AUTHENTICATE)" +
        (flag.empty() ? " and none can be asked for"
                      : "; pass " + flag + " to answer with the token's user PIN");
    return std::nullopt;
  }
  try {
    pins.context_pin = pins.prompt("PIN for " + pins.key_description + ": ");
    return pins.context_pin;
  } catch (const Error& error) {
    pins.context_pin_failure =
        pins.key_description +
        " needs its PIN for every signature (CKA_ALWAYS_AUTHENTICATE): " + error.what() +
        (flag.empty() ? "" : "; or pass " + flag);
    return std::nullopt;
  }
}

int read_pin(UI* ui, UI_STRING* request) {
  const auto type = UI_get_string_type(request);
  if (type != UIT_PROMPT && type != UIT_VERIFY) return 1;
  auto* pins = static_cast<PinContext*>(UI_get0_user_data(ui));
  if (!pins) return 0;
  std::optional<SecretString> pin = context_pin(*pins);
  if (!pin) return 0;
  // UI_set_result copies into libp11's buffer, which libp11 wipes after C_Login.
  return UI_set_result(ui, request, pin->reveal().c_str()) == 0 ? 1 : 0;
}

int nothing_to_do(UI*) { return 1; }
int nothing_to_write(UI*, UI_STRING*) { return 1; }

}  // namespace

UI_METHOD* context_pin_ui_method() {
  // Lives as long as the process: every libp11 context points at it.
  static UI_METHOD* method = [] {
    UI_METHOD* created = UI_create_method("rolesanywhere PKCS#11 context PIN");
    UI_method_set_opener(created, nothing_to_do);
    UI_method_set_writer(created, nothing_to_write);
    UI_method_set_flusher(created, nothing_to_do);
    UI_method_set_reader(created, read_pin);
    UI_method_set_closer(created, nothing_to_do);
    return created;
  }();
  return method;
}

}  // namespace rolesanywhere::pkcs11_detail
