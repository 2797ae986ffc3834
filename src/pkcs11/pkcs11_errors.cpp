// libp11 reports a failed PKCS#11 call by pushing the CKR_* value as the reason of an OpenSSL
// error in its own library code; these helpers read it back and name it for people.
#include "p11_api.hpp"
#include "pkcs11_detail.hpp"

#include <p11-kit/pkcs11.h>

#include <openssl/err.h>

#include <array>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace rolesanywhere::pkcs11_detail {
namespace {

constexpr std::array<std::pair<unsigned long, const char*>, 24> kCkrNames{{
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
    {CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
}};

std::optional<unsigned long> ckr_of(unsigned long code) {
  if (code == 0 || ERR_GET_LIB(code) != libp11().ERR_get_CKR_code()) return std::nullopt;
  return static_cast<unsigned long>(ERR_GET_REASON(code));
}

// Our reasons: no context PIN worded without a flag, the token not reopened, and from
// kFirstFlagReason on, no context PIN offering a flag (one reason per wording).
constexpr int kNoContextPinReason = 1;
constexpr int kReopenFailedReason = 2;
constexpr int kFirstFlagReason = 3;
constexpr const char* kNoContextPinText =
    "the PKCS#11 key has CKA_ALWAYS_AUTHENTICATE and needs a PIN for every signature, but none "
    "could be asked for (no terminal)";

// Our own reasons get a library code and strings once, so that openssl_error_text(), which the
// signer uses for its message, shows them like any other OpenSSL reason.
int our_library_code() {
  static const int code = [] {
    const int library = ERR_get_next_error_library();
    static ERR_STRING_DATA strings[] = {
        {ERR_PACK(0, 0, kNoContextPinReason), kNoContextPinText},
        {ERR_PACK(0, 0, kReopenFailedReason),
         "the PKCS#11 token went away and could not be opened again; is it inserted?"},
        {0, nullptr},
    };
    static ERR_STRING_DATA library_name[] = {{ERR_PACK(0, 0, 0), "PKCS#11 token"}, {0, nullptr}};
    ERR_load_strings(library, library_name);
    ERR_load_strings(library, strings);
    return library;
  }();
  return code;
}

// The kNoContextPin reason whose text offers `reuse_pin_flag` as the way out. OpenSSL keeps
// pointers to the text and its ERR_STRING_DATA, so each wording is registered once, under a
// reason of its own, and kept for the process's life (in practice there is one: the command
// line's flag).
int no_context_pin_reason(const std::string& reuse_pin_flag) {
  if (reuse_pin_flag.empty()) return kNoContextPinReason;
  struct Wording {
    int reason = 0;
    std::string text;
    std::array<ERR_STRING_DATA, 2> strings{};
  };
  static std::mutex mutex;
  static std::map<std::string, Wording> wordings;  // map nodes never move
  const int library = our_library_code();
  std::lock_guard lock(mutex);
  auto [it, inserted] = wordings.try_emplace(reuse_pin_flag);
  Wording& wording = it->second;
  if (inserted) {
    wording.reason = kFirstFlagReason + static_cast<int>(wordings.size()) - 1;
    wording.text = std::string(kNoContextPinText) + "; pass " + reuse_pin_flag +
                   " to answer with the token's user PIN";
    wording.strings[0] = {ERR_PACK(0, 0, wording.reason), wording.text.c_str()};
    wording.strings[1] = {0, nullptr};
    ERR_load_strings(library, wording.strings.data());
  }
  return wording.reason;
}

}  // namespace

std::optional<unsigned long> pending_ckr() {
  if (auto newest = ckr_of(ERR_peek_last_error())) return newest;
  return ckr_of(ERR_peek_error());
}

std::string ckr_name(unsigned long rv) {
  for (const auto& [value, name] : kCkrNames)
    if (value == rv) return name;
  char text[32];
  std::snprintf(text, sizeof text, "CKR 0x%lx", rv);
  return text;
}

std::string take_failure_reason() {
  std::optional<unsigned long> rv = pending_ckr();
  ERR_clear_error();
  return rv ? " (" + ckr_name(*rv) + ")" : std::string();
}

bool means_token_went_away(unsigned long rv) {
  return rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
         rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_CRYPTOKI_NOT_INITIALIZED;
}

void raise_sign_problem(SignProblem problem, const std::string& reuse_pin_flag) {
  const int reason = problem == SignProblem::kNoContextPin ? no_context_pin_reason(reuse_pin_flag)
                                                           : kReopenFailedReason;
  ERR_raise(our_library_code(), reason);
}

}  // namespace rolesanywhere::pkcs11_detail
