// PKCS#11 URIs (src/pkcs11/pkcs11_uri.cpp): parsing through p11-kit, the accessors, and the
// promise that a PIN never reaches a message.
//
// Input: the URI text (up to the first NUL: a command-line argument cannot hold one).
//
// Invariants:
//   1. what messages show of the URI (hide_pkcs11_uri_secrets, the function Uri uses for them),
//   read
//      again by p11-kit, does not give back the PIN p11-kit reads from the URI itself: this
//      catches a PIN left in clear, percent-encoded or split by whitespace (p11-kit ignores it);
//   2. what is shown, the explanation of an unrecognised attribute and Uri's error do not
//      depend on the PIN: for a PIN written literally once in the URI, they are the same when
//      it is replaced by other characters (this catches a PIN shown in part, too);
//   3. Uri's messages start with the flag and the shown text; Uri::pin() is p11-kit's pin-value.
#include "fuzz_support.hpp"
#include "pkcs11/p11_api.hpp"
#include "pkcs11/pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"

#include <cstring>
#include <memory>
#include <optional>

using namespace rolesanywhere;
using namespace rolesanywhere::pkcs11_detail;

namespace {

constexpr const char* kFlag = "--certificate";

struct P11KitReading {
  bool parsed = false;
  std::optional<std::string> pin_value;
  bool has_pin_source = false;
};

// The URI as p11-kit reads it, through the same library the code loads.
P11KitReading read_with_p11_kit(const std::string& text) {
  const P11KitApi& api = p11_kit();
  std::unique_ptr<p11_kit_uri, void (*)(p11_kit_uri*)> uri(api.uri_new(), api.uri_free);
  P11KitReading reading;
  if (!uri || api.uri_parse(text.c_str(), P11_KIT_URI_FOR_ANY, uri.get()) != P11_KIT_URI_OK)
    return reading;
  reading.parsed = true;
  if (const char* pin = api.uri_get_pin_value(uri.get())) reading.pin_value = pin;
  reading.has_pin_source = api.uri_get_pin_source(uri.get()) != nullptr;
  return reading;
}

// The URI with its PIN replaced by other characters, when the PIN is written literally once in
// it and p11-kit reads exactly those characters as the PIN of the result (so that occurrence
// was the whole of the PIN's own value); nullopt otherwise.
std::optional<std::string> with_other_pin(const std::string& text, const std::string& pin) {
  if (fuzz::count_occurrences(text, pin) != 1) return std::nullopt;
  std::string other = fuzz::replaced(text, pin);
  if (read_with_p11_kit(other).pin_value != fuzz::replaced(pin, pin)) return std::nullopt;
  return other;
}

// Uri's error for `text`, or "" when it has none.
std::string uri_error(const std::string& text) {
  try {
    const Uri uri(text, kFlag);
  } catch (const Error& error) {
    return error.what();
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  const std::string text(input.substr(0, input.find('\0')));

  (void)is_pkcs11_uri(text);
  const std::string shown = hide_pkcs11_uri_secrets(text);
  const std::string explanation = describe_unrecognized_attribute(text);

  P11KitReading reading;
  try {
    reading = read_with_p11_kit(text);
  } catch (const Error&) {
    return 0;  // p11-kit is not installed: nothing to compare with
  }
  std::optional<std::string> other;  // the URI with another PIN, when it is written literally
  if (reading.pin_value && !reading.pin_value->empty() && *reading.pin_value != "<hidden>") {
    const std::string& pin = *reading.pin_value;
    const P11KitReading shown_reading = read_with_p11_kit(shown);
    fuzz::check(shown_reading.pin_value != pin,
                "the shown URI does not carry the PIN p11-kit reads from the URI", shown);
    other = with_other_pin(text, pin);
    if (other) {
      fuzz::check(shown == hide_pkcs11_uri_secrets(*other),
                  "the shown URI does not depend on the PIN",
                  shown + " / " + hide_pkcs11_uri_secrets(*other));
      fuzz::check(explanation == describe_unrecognized_attribute(*other),
                  "the explanation of an unknown attribute does not depend on the PIN",
                  explanation);
    }
  }

  const std::string prefix = std::string(kFlag) + " " + shown;
  try {
    const Uri uri(text, kFlag);
    fuzz::check(uri.shown() == prefix,
                "Uri::shown() is the flag and hide_pkcs11_uri_secrets's text");
    (void)uri.type();
    (void)uri.names_object();
    (void)uri.module_path();
    (void)uri.module_name();
    if (!reading.has_pin_source) {  // pin-source would read a file
      const std::optional<SecretString> pin = uri.pin();
      fuzz::check(pin.has_value() == reading.pin_value.has_value() &&
                      (!pin || pin->reveal() == *reading.pin_value),
                  "Uri::pin() is p11-kit's pin-value");
    }
  } catch (const Error& error) {
    const std::string message = error.what();
    fuzz::check(message.rfind(prefix, 0) == 0, "a URI error starts with the flag and the shown URI",
                message);
    if (other)
      fuzz::check(message == uri_error(*other), "a URI error does not depend on the PIN", message);
  }
  return 0;
}
